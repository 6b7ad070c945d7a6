from __future__ import annotations

import gzip
import os
import subprocess
import sys
import struct
from pathlib import Path

import numpy as np
import pytest

from fitbench.data._idx import read_idx, read_idx_pair, write_idx
from fitbench.errors import ConfigError, DataError

SHARED_MNIST = Path(__file__).parents[2] / ".." / "shared" / "data" / "mnist"


def _images(n: int = 5) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(n, 4, 3), dtype=np.uint8)


def _labels(n: int = 5) -> np.ndarray:
    return np.arange(n, dtype=np.uint8) % 10


def _raise_for(path: Path, kind: str = "images") -> str:
    """Read ``path``, expecting a one-line DataError that starts with the path."""
    with pytest.raises(DataError) as info:
        read_idx(path, kind=kind)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    images = _images()
    write_idx(path, images)
    got = read_idx(path, kind="images")
    np.testing.assert_array_equal(got, images)
    assert got.dtype == np.uint8 and got.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left


def test_round_trip_labels(tmp_path: Path) -> None:
    write_idx(tmp_path / "l", _labels())
    np.testing.assert_array_equal(read_idx(tmp_path / "l", kind="labels"), _labels())


def test_gzip_is_detected_by_magic_not_extension(tmp_path: Path) -> None:
    write_idx(tmp_path / "a.gz", _images())
    (tmp_path / "a.gz").rename(tmp_path / "renamed")
    write_idx(tmp_path / "plain", _images())
    (tmp_path / "plain").rename(tmp_path / "plain.gz")
    for name in ("renamed", "plain.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name, kind="images"), _images())


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    write_idx(tmp_path / "a.gz", _images())
    first = (tmp_path / "a.gz").read_bytes()
    write_idx(tmp_path / "a.gz", _images())
    assert (tmp_path / "a.gz").read_bytes() == first


def test_write_refuses_non_uint8(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="expected uint8"):
        write_idx(tmp_path / "f", _images().astype(np.float32))
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "out.gz").mkdir()  # os.replace cannot put a file over a folder
    with pytest.raises(OSError):
        write_idx(tmp_path / "out.gz", _images())
    assert [p.name for p in tmp_path.iterdir()] == ["out.gz"]


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read" in _raise_for(tmp_path / "nope")


def test_bad_gzip(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 4)
    assert "not a valid gzip file" in _raise_for(path)


def test_gzip_stream_ends_early(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    write_idx(path, _images(50))
    path.write_bytes(path.read_bytes()[:-30])
    assert "gzip stream ends early" in _raise_for(path)


@pytest.mark.parametrize("content", [b"", b"\0\0", b"\0\0\x08\x03\0\0\0\x05"])
def test_short_header(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "short"
    path.write_bytes(content)
    assert "too short for an IDX header" in _raise_for(path)


def test_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / "zip"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    message = _raise_for(path)
    # the file's own bytes are not quoted: a config from a run folder may name a secret file
    assert "not an IDX file" in message and "00 00 08 03" in message and "50 4b" not in message


def test_unsupported_dtype_code(tmp_path: Path) -> None:
    path = tmp_path / "floats"
    path.write_bytes(struct.pack(">BBBBI", 0, 0, 0x0D, 1, 2) + bytes(8))
    message = _raise_for(path, "labels")
    assert "0x0d (float32) is not supported" in message and "0x08" in message


def test_wrong_ndim_for_kind(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels", _labels())
    message = _raise_for(tmp_path / "labels", "images")
    assert "1-D" in message and "3-D" in message and "labels file" in message


def test_truncated(tmp_path: Path) -> None:
    path = tmp_path / "t10k-images-idx3-ubyte"
    write_idx(path, _images(5))
    path.write_bytes(path.read_bytes()[:-10])
    message = _raise_for(path)
    assert "truncated: the header promises 5 images of 4x3 (60 bytes)" in message
    assert "holds 50" in message


def test_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "labels.gz"
    write_idx(path, _labels(3))
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data + b"xyz"))
    message = _raise_for(path, "labels")
    assert "3 unexpected bytes" in message and "3 labels" in message


def test_pair_count_mismatch(tmp_path: Path) -> None:
    write_idx(tmp_path / "im", _images(5))
    write_idx(tmp_path / "lb", _labels(4))
    with pytest.raises(DataError) as info:
        read_idx_pair(tmp_path / "im", tmp_path / "lb")
    message = str(info.value)
    assert str(tmp_path / "im") in message and str(tmp_path / "lb") in message
    assert "5 images" in message and "4 labels" in message


def test_pair_ok(tmp_path: Path) -> None:
    write_idx(tmp_path / "im", _images(5))
    write_idx(tmp_path / "lb", _labels(5))
    images, labels = read_idx_pair(tmp_path / "im", tmp_path / "lb")
    assert images.shape == (5, 4, 3) and labels.shape == (5,)


def test_unknown_kind_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'images' or 'labels'"):
        read_idx(tmp_path / "x", kind="pixels")  # type: ignore[arg-type]


@pytest.mark.real_data
def test_real_mnist_test_set() -> None:
    images_path = SHARED_MNIST / "t10k-images-idx3-ubyte.gz"
    labels_path = SHARED_MNIST / "t10k-labels-idx1-ubyte.gz"
    if not (images_path.is_file() and labels_path.is_file()):
        pytest.skip(f"shared MNIST test set not found in {SHARED_MNIST.resolve()}")
    images, labels = read_idx_pair(images_path, labels_path)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    counts = np.bincount(labels, minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _gzip_bomb(path: Path, header: bytes, zeros: int) -> None:
    """A gzip file: ``header`` then ``zeros`` zero bytes, written in chunks (small on disk)."""
    chunk = bytes(2**24)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(header)
        for _ in range(zeros // len(chunk)):
            out.write(chunk)


def _read_in_subprocess(path: Path, memory_mb: int) -> subprocess.CompletedProcess:
    """read_idx in a child that may grow by ``memory_mb`` at most once imported (its address
    space is capped): a reader that trusts the file dies of MemoryError."""
    code = (
        "import resource, sys\n"
        "from fitbench.data._idx import read_idx\n"
        "from fitbench.errors import DataError\n"
        "size = [int(l.split()[1]) << 10 for l in open('/proc/self/status') if l.startswith('VmSize')][0]\n"
        f"resource.setrlimit(resource.RLIMIT_AS, (size + ({memory_mb} << 20),) * 2)\n"
        "try:\n"
        f"    read_idx({str(path)!r}, kind='images')\n"
        "except DataError as error:\n"
        "    print(error)\n"
        "    sys.exit(2)\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


def test_gzip_bomb_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    # The header promises 10000 images of 28x28 (7.8 MB); 256 MiB of zeros follow (the reader may grow 100 MB).
    path = tmp_path / "bomb-idx3-ubyte.gz"
    _gzip_bomb(path, struct.pack(">BBBB3I", 0, 0, 8, 3, 10000, 28, 28), 2**28)
    result = _read_in_subprocess(path, memory_mb=100)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout.strip().splitlines() == [
        f"{path}: more than 1,048,576 unexpected bytes after the 10000 images of 28x28 the header "
        "promises (7,840,000 bytes); download it again"]


def test_dimensions_that_overflow_int64_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge"
    path.write_bytes(struct.pack(">BBBB3I", 0, 0, 8, 3, 2**32 - 1, 2**32 - 1, 2**32 - 1) + bytes(100))
    message = _raise_for(path)
    assert "more than the 4,294,967,296 bytes fitbench reads" in message


def test_a_header_promising_more_than_the_file_holds_reads_only_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "liar-idx3-ubyte"
    path.write_bytes(struct.pack(">BBBB3I", 0, 0, 8, 3, 1_000_000, 60, 60) + bytes(1000))  # promises 3.6 GB
    result = _read_in_subprocess(path, memory_mb=100)
    assert result.returncode == 2 and "truncated" in result.stdout and "holds 1,000" in result.stdout
