"""Transcription: a model file and audio in, text with segments and timed words out (decoder, recognizer,
long recordings cut at pauses, voice activity, word times, subtitles, forced-alignment word segments)."""
