"""Models outside PyTorch: ONNX graphs and int8 weights (`asr export`)."""
