"""The LLM-like side of the model API: OpenAI-compatible completions whose timing comes from a real
continuous-batching scheduler (scheduler.py), with tokens from a small deterministic generator (tokens.py).

No weights and no GPU: a decode step *costs* time as if it ran on one, and everything else (queueing,
batching, slots freed as sequences finish, 503 past a bounded queue) really happens.
"""
