"""A CTC or joint model as one ONNX file, and that file run by onnxruntime as a model of this toolkit.

The graph is the encoder and the CTC head: normalised features (B, T, F) and their lengths (B,) in, CTC
log-probs (B, T', V) and their lengths out, any B and T. The feature step stays outside the graph, in
`FeaturePipeline` (its FFT has no ONNX form that onnxruntime runs as fast): the file's metadata
("asr" key, JSON) holds what the .pt model file holds but the weights (feature settings, normalisation
statistics, tokenizer, model config), so `asr transcribe --model M.onnx` computes the same features
and decodes the same way as from the .pt file.

`quantize="int8"`: onnxruntime's dynamic quantisation of the LSTM and matrix-product weights to int8
(activations quantised on the fly per call).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.model_file import LoadedModel
from asr.models.ctc_model import CTCModelConfig, output_lengths
from asr.text.tokenizer import tokenizer_from_dict

METADATA_KEY = "asr"
FORMAT = "asr-onnx/1"
OPSET = 17
QUANTIZATIONS = ("int8",)


def onnxruntime_module():
    """onnxruntime, or a UserError saying how to get it."""
    try:
        import onnxruntime
    except ImportError:
        raise UserError("ONNX models need onnxruntime and onnx (pip install 'asr[onnx]')") from None
    return onnxruntime


class _CTCGraph(nn.Module):
    """What is exported: features -> CTC log-probs."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        enc, enc_lens = self.model.encode(feats, feat_lens)
        return self.model.ctc_log_probs(enc), enc_lens


def export_onnx(loaded: LoadedModel, out: str | Path, quantize: str | None = None) -> None:
    """Write `loaded`'s encoder and CTC head as an ONNX file at `out` (int8 weights with quantize="int8")."""
    model = loaded.model
    if not getattr(model, "has_ctc", False) or loaded.features is None:
        raise UserError(f"a {loaded.kind} model has no CTC head to export (CTC and joint models do)")
    encoder = model.cfg.encoder
    if encoder.chunk_frames:
        raise UserError("a latency-controlled encoder runs a loop of chunks whose count depends on the input's "
                        "length, which the ONNX graph cannot follow: export a CTC model without model.chunk_frames")
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise UserError(f"--quantize must be one of {', '.join(QUANTIZATIONS)}, not {quantize!r}")
    onnxruntime_module()
    import onnx

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    graph = _CTCGraph(model).eval().cpu()
    frames = 4 * encoder.reduction + 1  # any length: the axes are dynamic
    example = (torch.zeros(2, frames, encoder.input_dim), torch.tensor([frames, frames - 1]))
    plain = out.with_name(out.name + ".fp32.tmp") if quantize else out.with_name(out.name + ".tmp")
    try:
        # The TorchScript exporter: torch.export's (the default since torch 2.9) stops at the padding-correct
        # reversal's data-dependent shapes. Its warnings (legacy path; LSTM batch sizes) are about traces
        # that would not generalise: tests/export checks other batch sizes and lengths against PyTorch.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(graph, example, plain, dynamo=False, opset_version=OPSET,
                              input_names=["feats", "feat_lens"], output_names=["log_probs", "out_lens"],
                              dynamic_axes={"feats": {0: "batch", 1: "frames"}, "feat_lens": {0: "batch"},
                                            "log_probs": {0: "batch", 1: "out_frames"}, "out_lens": {0: "batch"}})
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantized = out.with_name(out.name + ".tmp")
            quantize_dynamic(plain, quantized, weight_type=QuantType.QInt8)
            plain.unlink()
            plain = quantized
        proto = onnx.load(plain)
        del proto.metadata_props[:]
        proto.metadata_props.add(key=METADATA_KEY, value=json.dumps(_metadata(loaded, quantize)))
        onnx.save(proto, plain)
        plain.replace(out)
    finally:
        for leftover in out.parent.glob(out.name + ".*tmp"):
            leftover.unlink()


def _metadata(loaded: LoadedModel, quantize: str | None) -> dict:
    tokenizer = loaded.tokenizer.to_dict()
    tokenizer = {k: ({"base64": base64.b64encode(v).decode()} if isinstance(v, bytes) else v)
                 for k, v in tokenizer.items()}
    config = loaded.model.cfg.to_dict()
    ctc = {"encoder": config["encoder"], "vocab_size": config["vocab_size"]}
    return {"format": FORMAT, "source_kind": loaded.kind, "quantize": quantize, "model_config": ctc,
            "features": dataclasses.asdict(loaded.features.cfg),
            "cmvn": {"mean": loaded.features.mean.tolist(), "std": loaded.features.std.tolist()},
            "tokenizer": tokenizer, "info": json.loads(json.dumps(loaded.info, default=str))}


class OnnxCTCModel(nn.Module):
    """An exported graph run by onnxruntime, with the interface decoding asks of a CTC model. Its "encoder
    output" is already the CTC log-probs, so `ctc_log_probs` passes it on."""

    kind = "ctc"
    has_ctc = True
    has_attention = False

    def __init__(self, session, cfg: CTCModelConfig):
        super().__init__()
        self.session, self.cfg = session, cfg
        self.anchor = nn.Parameter(torch.zeros(0), requires_grad=False)  # where callers look for the device

    def encode(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_probs, out_lens = self.session.run(None, {"feats": feats.detach().float().cpu().numpy(),
                                                      "feat_lens": feat_lens.detach().cpu().long().numpy()})
        return torch.from_numpy(log_probs), torch.from_numpy(out_lens)

    def ctc_log_probs(self, enc: torch.Tensor) -> torch.Tensor:
        return enc

    def forward(self, feats: torch.Tensor, feat_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encode(feats, feat_lens)

    def output_lengths(self, feat_lens: torch.Tensor) -> torch.Tensor:
        return output_lengths(self.cfg.encoder, feat_lens)


def load_onnx_model(path: str | Path, threads: int | None = None) -> LoadedModel:
    """An exported model file, ready to decode (CPU)."""
    ort = onnxruntime_module()
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = json.loads(session.get_modelmeta().custom_metadata_map[METADATA_KEY])
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        tokenizer = tokenizer_from_dict({k: (base64.b64decode(v["base64"]) if isinstance(v, dict) else v)
                                         for k, v in meta["tokenizer"].items()})
        features = FeaturePipeline(FeatureConfig(**meta["features"]), torch.tensor(meta["cmvn"]["mean"]),
                                   torch.tensor(meta["cmvn"]["std"])).eval()
        cfg = CTCModelConfig.from_dict(meta["model_config"])
    except Exception as err:  # not ours, damaged, or another version's: one line
        raise UserError(f"{path}: not an ONNX model exported by asr export ({type(err).__name__}: "
                        f"{str(err).splitlines()[0][:160] if str(err) else ''})") from None
    info = meta.get("info", {}) | {"exported_from": meta.get("source_kind"), "quantize": meta.get("quantize")}
    return LoadedModel(OnnxCTCModel(session, cfg), features, tokenizer, info)

