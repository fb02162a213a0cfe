"""Built-in output types."""

from harness.hookspecs import hookimpl
from harness.plugins.output_types.generation import Generation
from harness.plugins.output_types.multi_label import MultiLabel
from harness.plugins.output_types.multi_turn import MultiTurn
from harness.plugins.output_types.multiple_choice import MultipleChoice
from harness.plugins.output_types.option_set import OptionSet


@hookimpl
def harness_output_types():
    return [Generation(), MultipleChoice(), MultiTurn(), MultiLabel(), OptionSet()]
