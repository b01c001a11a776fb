#!/usr/bin/env python3
"""Reads a TensorBoard event file without TensorFlow or TensorBoard, checking every CRC.

An independent implementation of the format learner's train/tfevents.cpp writes (nothing
is shared with the C++ code): TFRecord framing with masked CRC-32C, and the Event /
Summary / Summary.Value protobuf fields that carry scalars.

Usage: read_tfevents.py FILE   prints {"file_version": ..., "scalars": [{"wall_time", "step",
"tag", "value"}, ...]} as JSON (a non-finite value as the string "nan", "inf" or "-inf");
exits 1 with a message naming the record on any error.
"""
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_varint(buf, pos):
    shift = value = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = read_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        if pos > len(buf):
            raise ValueError("field %d runs past the end of its message" % number)
        yield number, wire, value


def records(data):
    pos = 0
    index = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError("record %d: truncated header" % index)
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked(crc32c(header)) != length_crc:
            raise ValueError("record %d: length CRC mismatch" % index)
        start = pos + 12
        if start + length + 4 > len(data):
            raise ValueError("record %d: truncated payload" % index)
        payload = data[start:start + length]
        (payload_crc,) = struct.unpack("<I", data[start + length:start + length + 4])
        if masked(crc32c(payload)) != payload_crc:
            raise ValueError("record %d: payload CRC mismatch" % index)
        yield index, payload
        pos = start + length + 4
        index += 1


def parse(path):
    with open(path, "rb") as f:
        data = f.read()
    out = {"file_version": None, "scalars": []}
    for index, payload in records(data):
        wall_time, step, summary = None, 0, None
        for number, wire, value in fields(payload):
            if number == 1 and wire == 1:
                (wall_time,) = struct.unpack("<d", value)
            elif number == 2 and wire == 0:
                step = value - (1 << 64) if value >= 1 << 63 else value
            elif number == 3 and wire == 2:
                out["file_version"] = value.decode("utf-8")
            elif number == 5 and wire == 2:
                summary = value
        if wall_time is None:
            raise ValueError("record %d: event without wall_time" % index)
        if index == 0 and out["file_version"] is None:
            raise ValueError("record 0 is not a file_version event")
        if summary is None:
            continue
        for number, wire, value in fields(summary):
            if number != 1 or wire != 2:
                continue
            tag, simple = None, None
            for vnum, vwire, vval in fields(value):
                if vnum == 1 and vwire == 2:
                    tag = vval.decode("utf-8")
                elif vnum == 2 and vwire == 5:
                    (simple,) = struct.unpack("<f", vval)
            if tag is None or simple is None:
                raise ValueError("record %d: summary value without tag or simple_value" % index)
            if simple != simple or simple in (float("inf"), float("-inf")):
                simple = str(simple)  # strict JSON has no NaN or Infinity: "nan", "inf", "-inf"
            out["scalars"].append({"wall_time": wall_time, "step": step, "tag": tag, "value": simple})
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_tfevents.py FILE")
    try:
        result = parse(sys.argv[1])
    except (OSError, ValueError, UnicodeDecodeError) as e:
        sys.exit("read_tfevents.py: %s: %s" % (sys.argv[1], e))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
