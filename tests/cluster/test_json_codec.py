"""The fast JSON codec reads and writes every document the standard library does, the same way."""

from __future__ import annotations

import json

import pytest

from gitops_tui.cluster import json_codec


def test_objects_round_trip_compact_and_utf8() -> None:
    obj = {"metadata": {"name": "wéb", "annotations": {"note": "naïve ✓"}}, "spec": {"replicas": 2, "ratio": 0.5}}
    encoded = json_codec.dumps(obj)
    assert encoded == json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    assert json_codec.loads(encoded) == obj


def test_integers_beyond_64_bits_fall_back_to_the_standard_library() -> None:
    big = {"spec": {"size": 2**70}}  # a CRD may hold one; orjson refuses it both ways
    encoded = json_codec.dumps(big)
    assert json.loads(encoded) == big
    assert json_codec.loads(encoded) == big


def test_a_document_that_is_not_json_raises_json_s_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_codec.loads(b'{"type": "MODIFIED", "object": {')


def test_encoded_objects_hold_no_more_memory_than_their_size() -> None:
    import tracemalloc

    obj = {"metadata": {"name": "web"}, "status": {"message": "y" * 1200}}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [json_codec.dumps(obj) for _ in range(1000)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 1000 * (len(kept[0]) + 200), held  # what 1,000 copies of the document need, and little more
