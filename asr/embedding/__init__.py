"""Audio Word2Vec in use: segments -> vectors (embed), the index of what was embedded, and query-by-example
evaluation (retrieval metrics, the frame-level DTW baseline, 2-D maps of vectors)."""
