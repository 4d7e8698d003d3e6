#!/usr/bin/env python3
"""Cut the kernel's BTF blob out of a raw arm64 Image (which is not ELF).

The blob starts with the BTF header: magic 0xeb9f, version 1, flags 0,
hdr_len 24, then type_off, type_len, str_off, str_len (u32, little endian).
"""
import struct
import sys


def extract(image):
    start = 0
    while True:
        i = image.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00", start)
        if i < 0:
            return None
        type_off, type_len, str_off, str_len = struct.unpack_from("<4I", image, i + 8)
        size = 24 + max(type_off + type_len, str_off + str_len)
        # vmlinux BTF is megabytes and its string section begins with '\0'.
        if size > 1 << 20 and i + size <= len(image) and image[i + 24 + str_off] == 0:
            return image[i:i + size]
        start = i + 1


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-btf.py IMAGE OUT")
    with open(sys.argv[1], "rb") as f:
        blob = extract(f.read())
    if blob is None:
        sys.exit(f"extract-btf: no BTF blob in {sys.argv[1]} (kernel built without CONFIG_DEBUG_INFO_BTF?)")
    with open(sys.argv[2], "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
