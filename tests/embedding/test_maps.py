"""The 2-D map: PCA finds a plane the points lie on, the frequent words get the colours, a PNG is written."""

import numpy as np
import pytest
from PIL import Image

from asr.embedding.maps import coloured_words, pca_2d, plot_embedding_map
from asr.errors import UserError


def test_pca_of_points_on_a_plane_keeps_their_distances():
    rng = np.random.default_rng(0)
    plane = rng.standard_normal((50, 2)) * [3.0, 1.0]
    basis, _ = np.linalg.qr(rng.standard_normal((6, 2)))  # an orthonormal plane in 6-D
    points, explained = pca_2d(plane @ basis.T + 7.0)
    assert explained.sum() == pytest.approx(1.0)
    assert explained[0] > explained[1]

    def pairwise(x):
        return np.linalg.norm(x[:, None] - x[None], axis=-1)

    assert np.allclose(pairwise(points), pairwise(plane))


def test_pca_of_one_dimension_leaves_the_second_axis_at_zero():
    points, explained = pca_2d(np.array([[1.0], [2.0], [4.0]]))
    assert np.allclose(points[:, 1], 0) and explained[1] == 0
    assert np.allclose(points[:, 0] - points[0, 0], [0, 1, 3])  # sign fixed: the order is kept


def test_the_most_frequent_words_are_coloured_alphabetically_among_equals():
    words = ["b"] * 3 + ["a"] * 3 + ["c"] * 5 + ["d"]
    assert coloured_words(words) == ["c", "a", "b", "d"]
    assert coloured_words(words, limit=2) == ["c", "a"]


def test_map_png_is_written_with_grey_words_beyond_twenty(tmp_path):
    rng = np.random.default_rng(1)
    words = [f"w{k}" for k in range(25) for _ in range(4)]
    out = plot_embedding_map(rng.standard_normal((100, 16)), words, tmp_path / "maps" / "map.png")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (900, 700)


def test_an_unknown_method_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="umap"):
        plot_embedding_map(np.zeros((2, 2)), ["a", "b"], tmp_path / "m.png", method="umap")


def test_a_few_speakers_get_a_marker_each(tmp_path):
    rng = np.random.default_rng(2)
    vectors, words = rng.standard_normal((40, 8)), [f"w{k % 4}" for k in range(40)]
    plain = plot_embedding_map(vectors, words, tmp_path / "plain.png")
    marked = plot_embedding_map(vectors, words, tmp_path / "marked.png", speakers=["a", "b"] * 20)
    many = plot_embedding_map(vectors, words, tmp_path / "many.png", speakers=[f"s{k}" for k in range(40)])
    with Image.open(plain) as p, Image.open(marked) as m, Image.open(many) as n:
        assert np.asarray(p).shape == np.asarray(m).shape
        assert not np.array_equal(np.asarray(p), np.asarray(m))  # markers and speaker legend entries
        assert np.array_equal(np.asarray(p), np.asarray(n))  # forty speakers: no markers, the plain map
