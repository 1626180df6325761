"""Pipelines come from one list: each named module's PIPELINE, nothing else to edit."""

import pytest

from core.errors import AssayError
from core.generation import JobConfig, pipelines


def test_every_listed_pipeline_is_its_module_and_known_to_the_job():
    assert pipelines.names() == ("spec", "evolve")
    for name in pipelines.names():
        pipeline = pipelines.get(name)
        assert pipeline.name == name and callable(pipeline.run)
        JobConfig(pipeline=name).validate()


def test_an_unknown_pipeline_is_one_sentence_naming_the_known_ones():
    with pytest.raises(AssayError, match=r"^Unknown pipeline 'mutate'; use spec or evolve\.$"):
        JobConfig(pipeline="mutate").validate()
