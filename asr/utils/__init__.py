"""Small helpers every room uses: files replaced whole, progress on long work."""
