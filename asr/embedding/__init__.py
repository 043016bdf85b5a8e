"""Query-by-example evaluation: retrieval metrics, the frame-level DTW baseline and a 2-D map of vectors."""
