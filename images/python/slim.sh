#!/bin/sh
# Remove what a container never reads from a debootstrapped root file system: ROOTFS is $1.
set -eu
rootfs=${1:?usage: slim.sh ROOTFS}
cd "$rootfs"
rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/cache/debconf/*-old \
    var/lib/apt/lists/* var/log/* \
    usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/lintian usr/share/linda \
    usr/share/locale/*
find usr/lib/python3* -name __pycache__ -type d -prune -exec rm -rf {} +
# debootstrap leaves the host's name and resolver here; docker mounts its own at run time.
rm -rf dev/* proc/* sys/* run/*
: >etc/hostname
: >etc/resolv.conf
