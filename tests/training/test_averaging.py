"""Checkpoint averaging: the mean of hand-built weights, counters kept, mismatches refused; and a
training run that averages its best checkpoints into the model file."""

import pytest
import torch

from asr.training.averaging import average_state_dicts


def test_the_average_of_three_checkpoints_is_the_mean_of_their_weights() -> None:
    states = [{"w": torch.tensor([[1.0, 2.0], [3.0, 4.0]]) * k, "b": torch.tensor([k], dtype=torch.float16),
               "steps": torch.tensor(7 * k)} for k in (1, 2, 6)]
    averaged = average_state_dicts(states)
    torch.testing.assert_close(averaged["w"], torch.tensor([[3.0, 6.0], [9.0, 12.0]]))
    assert averaged["b"].dtype == torch.float16 and averaged["b"].item() == 3.0
    assert averaged["steps"].item() == 7  # an integer counter is not averaged
    assert average_state_dicts(states[:1])["w"].equal(states[0]["w"])


def test_checkpoints_of_different_models_are_refused() -> None:
    with pytest.raises(ValueError, match="different models"):
        average_state_dicts([{"w": torch.zeros(2)}, {"w": torch.zeros(3)}])
    with pytest.raises(ValueError, match="different models"):
        average_state_dicts([{"w": torch.zeros(2)}, {"v": torch.zeros(2)}])
    with pytest.raises(ValueError, match="no checkpoints"):
        average_state_dicts([])


def test_training_writes_the_average_of_its_best_checkpoints(spoken_words, tmp_path) -> None:
    from asr.cli.main import main
    from asr.model_file import load_model_file

    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--data.train", str(spoken_words / "train.jsonl"),
                 "--data.dev", str(spoken_words / "dev.jsonl"), "--tokenizer.kind", "word", "--model.hidden", "16",
                 "--model.layers", "1", "--train.max_epochs", "4", "--train.average_best", "3",
                 "--train.threads", "1"]) == 0
    best = sorted((out / "checkpoints").glob("best-*.ckpt"))
    assert len(best) == 3
    states = [{k.removeprefix("model."): v for k, v in torch.load(p, weights_only=True)["state_dict"].items()
               if k.startswith("model.")} for p in best]
    saved = load_model_file(out / "model.pt").model.state_dict()
    for key, value in saved.items():
        torch.testing.assert_close(value, sum(s[key] for s in states) / 3)
    assert not torch.equal(states[0][next(iter(saved))], states[1][next(iter(saved))])
