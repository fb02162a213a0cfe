"""Built-in judge rubrics, registered through the ``harness_judges`` hook."""

from harness.hookspecs import hookimpl


@hookimpl
def harness_judges():
    from harness.judges.mms import MMSRubric

    return [MMSRubric()]
