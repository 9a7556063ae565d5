#!/usr/bin/env python3
"""Makes a fuzz_event_decode seed from an encoded accord.v1.Event.

Re-encodes one varint field of the payload as an overlong (10-byte) varint:
protobuf still reads the same valid value, but one mutated byte now turns it
into a negative or huge enum value, which byte-level mutation of a canonical
1-byte varint (plus the enclosing length) rarely builds. The *_overlong_*
seeds in corpus/fuzz_event_decode were made with

  tests/fuzz/overlong_seed.py tests/compat/events_v1/campaign_engagement.binpb 31 2 \
      tests/fuzz/corpus/fuzz_event_decode/campaign_engagement_overlong_kind.bin
  ... customer_upserted.binpb 20 9 ... customer_upserted_overlong_stage.bin
  ... deal_upserted.binpb 42 3 ... deal_upserted_overlong_stage.bin

Usage: overlong_seed.py EVENT.binpb PAYLOAD_FIELD_NUMBER VARINT_FIELD_NUMBER OUT
"""
import sys


def read_varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def varint(value):
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def overlong_varint(value):
    out = bytearray(varint(value))
    while len(out) < 10:
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


def fields(data):
    """Yields (number, wire type, raw bytes, varint value or None)."""
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, j = read_varint(data, i)
            yield number, wire, data[i:j], value
            i = j
        elif wire == 2:
            size, j = read_varint(data, i)
            yield number, wire, data[j:j + size], None
            i = j + size
        elif wire == 1:
            yield number, wire, data[i:i + 8], None
            i += 8
        elif wire == 5:
            yield number, wire, data[i:i + 4], None
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def encode(number, wire, raw, value, overlong=False):
    key = varint(number << 3 | wire)
    if wire == 0:
        return key + (overlong_varint(value) if overlong else raw)
    if wire == 2:
        return key + varint(len(raw)) + raw
    return key + raw


def rewrite(event, payload_field, varint_field):
    out = bytearray()
    for number, wire, raw, value in fields(event):
        if number == payload_field and wire == 2:
            payload = b"".join(
                encode(n, w, r, v, overlong=(n == varint_field and w == 0))
                for n, w, r, v in fields(raw))
            out += encode(number, wire, payload, None)
        else:
            out += encode(number, wire, raw, value)
    return bytes(out)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    source, payload_field, varint_field, target = sys.argv[1:]
    with open(source, "rb") as f:
        event = f.read()
    with open(target, "wb") as f:
        f.write(rewrite(event, int(payload_field), int(varint_field)))


if __name__ == "__main__":
    main()
