#!/bin/bash -e
# pi-gen stage step: make the Lite image a balie kiosk with the same
# firmware/install.sh that a person runs on a Pi, so image and hand install
# can never drift apart.
#
# files/balie/      a copy of the balie source tree (required)
# files/balie.bin   an arm64 balie built with `make CROSS=aarch64-linux-gnu
#                   PREFIX=/usr` (optional; without it balie is built inside
#                   the image under emulation, which takes much longer)
# files/balie.conf  a configuration to ship (optional; else the example)
SRC=files/balie
if [ ! -f "${SRC}/firmware/install.sh" ]; then
	echo "stage-balie: copy the balie source tree to $(pwd)/${SRC} first" >&2
	exit 1
fi

rm -rf "${ROOTFS_DIR}/tmp/balie-src"
mkdir -p "${ROOTFS_DIR}/tmp/balie-src"
cp -r "${SRC}/." "${ROOTFS_DIR}/tmp/balie-src/"
rm -rf "${ROOTFS_DIR}/tmp/balie-src/build" "${ROOTFS_DIR}/tmp/balie-src/.git"

ARGS=""
if [ -f files/balie.bin ]; then
	install -m 755 files/balie.bin "${ROOTFS_DIR}/tmp/balie-src/balie.bin"
	ARGS="--binary /tmp/balie-src/balie.bin"
fi
if [ -f files/balie.conf ]; then
	install -d -m 750 "${ROOTFS_DIR}/etc/balie"
	install -m 640 files/balie.conf "${ROOTFS_DIR}/etc/balie/balie.conf"
fi

on_chroot <<EOC
/bin/sh /tmp/balie-src/firmware/install.sh ${ARGS}
chown -R root:balie /etc/balie
rm -rf /tmp/balie-src
EOC
