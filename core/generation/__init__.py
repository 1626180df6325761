"""Generation pipelines (spec, evolve) against any OpenAI-compatible endpoint."""
