"""Judging as a runner stage: every sample x rubric x judge model, cached, bounded, validated.

For each sample the stage renders the rubric's prompt(s), asks every judge of the jury
concurrently (each judge with its own concurrency bound) through the run's response cache
(key = judge identity + messages + parameters, so a re-run or a resumed run re-asks nothing),
reads the verdict, and on an invalid verdict asks again with a repair prompt, at most
``max_repairs`` times. What still fails is *unscored* with its reason; the raw replies are kept
in the sample record under ``record["judges"][rubric][judge]``.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from typing import Any

from harness.errors import TaskFileError
from harness.hashing import fingerprint
from harness.judging import check as judge_check
from harness.judging.jury import FEW_JUDGES, agreement, combine, default_min_judges
from harness.judging.report import judge_metrics, metric_entry, sum_usage, values_to_record
from harness.judging.rubric import JudgeCall, JudgeInput, Rubric
from harness.judging.verdict import JUDGE_FAILED, REQUEST_FAILED, Problem, Verdict
from harness.metrics.base import Unscored
from harness.models.base import Request, Response
from harness.models.cache import ResponseCache
from harness.models.cached import CachedModel, Tally
from harness.models.config import ModelConfig
from harness.models.loading import build_model
from harness.models.messages import last_user_text
from harness.task.output_type import Item

RESERVED = "jury"
TOTAL = "total"


class JudgePanel:
    """The judge models of a run, shared by all rubrics: built once, bounded, cached, closed once."""

    def __init__(self, configs: list[ModelConfig], *, registry: Any, cache: ResponseCache, concurrency: int):
        self.configs = {c.name: c for c in configs}
        self.models = {
            c.name: CachedModel(
                build_model(c, registry),
                cache,
                concurrency=max(1, min(c.concurrency or concurrency, concurrency)),
                label=f"judge '{c.name}'",
            )
            for c in configs
        }
        self.users = 0

    def record(self, name: str) -> dict[str, Any]:
        """The judge as results.json records it: model and parameters, never secrets."""
        return self.models[name].record()

    async def ask(
        self,
        name: str,
        request_id: str,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        tally: Tally,
        *,
        salt: str | None = None,
    ) -> Response:
        """One judge call through the judge's CachedModel; ``salt``: a second answer to the same
        request, cached under its own key (the same request is sent)."""
        model = self.models[name]
        key = fingerprint([model.key(messages, params), salt]) if salt else None
        return await model.ask(Request(request_id, messages, params), tally=tally, key=key)

    async def release(self) -> None:
        """Close the judge models when the last rubric is done (their records stay readable)."""
        self.users -= 1
        if self.users == 0:
            for model in self.models.values():
                await model.aclose()


class JudgeStage:
    """One rubric judged by one or more judge models (an :class:`~harness.runner.stage.ItemStage`)."""

    def __init__(
        self,
        rubric: Rubric,
        panel: JudgePanel,
        *,
        seed: int = 0,
        check: Any = "auto",
    ):
        self.rubric = rubric
        self.name = rubric.name
        self.panel = panel
        self.seed = seed
        self.judges = list(panel.configs)
        spec = rubric.spec
        self.min_judges = spec.min_judges or default_min_judges(len(self.judges))
        if self.min_judges > len(self.judges):
            raise TaskFileError(
                f"rubric '{rubric.name}': min_judges={self.min_judges} but only {len(self.judges)} judge(s) were given"
            )
        self.quantities = [c.name for c in rubric.criteria] if len(rubric.criteria) > 1 else []
        self.quantities.append(TOTAL)
        self.quantities += list(getattr(rubric, "derived_quantities", ()))  # e.g. a second weighting, grade bands
        self.tallies = {j: Tally() for j in self.judges}
        self._jury: list[tuple[tuple[int, ...], dict[str, Any]]] = []
        self._per_judge: dict[str, list[tuple[tuple[int, ...], dict[str, Any]]]] = {j: [] for j in self.judges}
        self._consistent = Counter()  # pairwise: orders that agreed / disagreed
        self.check_setting = check  # judge_check: auto, true, false or a number of samples
        self._check_items = judge_check.CheckItems(judge_check.items_setting(check, judge_check.MIN_SAMPLES))
        self.check: dict[str, dict[str, Any]] = {}  # judge -> its validity check
        panel.users += 1

    def metric_name(self, quantity: str) -> str:
        return self.name if quantity == TOTAL else f"{self.name}.{quantity}"

    # -- per sample -------------------------------------------------------------------------

    async def process(self, item: Item, record: dict[str, Any]) -> None:
        position = tuple(record.get("position") or item.position)
        if record.get("error") is not None:  # no answer to judge: unscored, and counted
            failed = {q: Unscored(REQUEST_FAILED) for q in self.quantities}
            self._jury.append((position, failed))
            for judge in self.judges:
                self._per_judge[judge].append((position, failed))
            record["judges"][self.name] = {RESERVED: {"values": values_to_record(self._named(failed)), "n_judges": 0}}
            return
        answer = record.get("prediction") if self.rubric.spec.answer_from == "prediction" else record.get("response")
        inp = JudgeInput(
            item_id=item.id,
            question=last_user_text(item.messages),
            messages=item.messages,
            answer="" if answer is None else str(answer),
            reference=item.reference,
            doc=item.doc,
            answers=item.answers,
        )
        self._check_items.offer(position, inp)
        calls = self.rubric.calls(inp)
        outcomes = await asyncio.gather(*(self._judge(judge, calls, item.id) for judge in self.judges))
        entry: dict[str, Any] = {}
        for judge, (values, detail) in zip(self.judges, outcomes):
            self._per_judge[judge].append((position, values))
            entry[judge] = {"values": values_to_record(self._named(values)), **detail}
        method = self.rubric.spec.jury
        jury = {
            q: combine([values[q] for values, _ in outcomes], method=method, min_judges=self.min_judges)
            for q in self.quantities
        }
        self._jury.append((position, jury))
        entry[RESERVED] = {
            "values": values_to_record(self._named(jury)),
            "n_judges": sum(not isinstance(values[TOTAL], Unscored) for values, _ in outcomes),
        }
        record["judges"][self.name] = entry

    def _named(self, values: dict[str, Any]) -> dict[str, Any]:
        return {self.metric_name(q): v for q, v in values.items()}

    def params(self, judge: str) -> dict[str, Any]:
        """The rubric's generation parameters, less those the judge's config sets to null: such a
        judge leaves them to the API's default (e.g. an upstream preset whose judge set no temperature)."""
        unset = {k for k, v in self.panel.configs[judge].params.items() if v is None}
        return {k: v for k, v in self.rubric.spec.params.items() if k not in unset}

    async def _verdicts(
        self, judge: str, calls: list[JudgeCall], request_id: str, *, salt: str | None = None
    ) -> tuple[dict[str, Verdict], list[dict[str, Any]]]:
        """Each call asked (and repaired) until its verdict is valid: the verdicts and every attempt."""
        verdicts: dict[str, Verdict] = {}
        attempts: list[dict[str, Any]] = []
        tally = self.tallies[judge]
        for call in calls:
            messages = call.messages
            for attempt in range(self.rubric.spec.max_repairs + 1):
                if attempt:
                    tally.counters["repairs"] += 1
                response = await self.panel.ask(
                    judge, f"{request_id}/{call.label}/{attempt}", messages, self.params(judge), tally, salt=salt
                )
                if response.error is not None:
                    verdict = Verdict(raw=None, problems={"*": Problem(JUDGE_FAILED, response.error[:300])})
                    attempts.append({"call": call.label, "raw": None, "problems": verdict.summary()})
                    break  # the backend already retried the transport; a repair prompt cannot help
                verdict = self.rubric.read_reply(response.text, call)
                attempts.append(
                    {
                        "call": call.label,
                        "raw": response.text,
                        "problems": verdict.summary() or None,
                        "cached": response.cached,
                    }
                )
                if verdict.ok:
                    break
                messages = self.rubric.repair_messages(messages, response.text, verdict)
            verdicts[call.label] = verdict
        return verdicts, attempts

    def _missing(self, problems: dict[str, Problem], needed: list[str] | None = None) -> dict[str, Problem]:
        """The problems, by criterion, that leave a quantity unscored: those of the ``needed``
        criteria (default: every criterion, as the derived quantities use them all)."""
        needed = [c.name for c in self.rubric.criteria] if needed is None else needed
        return {c: problems[c] for c in needed if c in problems}

    def _total(self, scores: dict[str, Any], problems: dict[str, Problem]) -> tuple[Any, str | None]:
        """The sample total, or ``Unscored`` (its reason a fixed category, as counted in results.json)
        and the line the record keeps naming the needed criterion that is missing."""
        missing = self._missing(problems, self.rubric.total_needs())
        if not missing:
            return self.rubric.sample_score(scores), None
        criterion, problem = next(iter(missing.items()))
        return Unscored(problem.category), f"needs '{criterion}': {problem}"

    async def _judge(self, judge: str, calls: list[JudgeCall], item_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """One judge on one sample: its values per quantity and what the record keeps."""
        verdicts, attempts = await self._verdicts(judge, calls, f"judge/{self.name}/{item_id}")
        scores, problems = self.rubric.combine(verdicts)
        values: dict[str, Any] = {}
        missing = list(self._missing(problems).values())
        derived = self.rubric.derived(scores) if hasattr(self.rubric, "derived") and not missing else {}
        total, why = self._total(scores, problems)
        for q in self.quantities:
            if q == TOTAL:
                values[q] = total
            elif q in getattr(self.rubric, "derived_quantities", ()):
                values[q] = derived[q] if q in derived else Unscored(missing[0].category)
            else:
                values[q] = scores[q] if q in scores else Unscored(problems[q].category)
        if "position_consistent" in scores:
            self._consistent[bool(scores["position_consistent"])] += 1
        detail = {"scores": dict(scores), "problems": {k: str(p) for k, p in problems.items()}, "attempts": attempts}
        if why is not None:
            detail["total_unscored"] = why
        return values, detail

    # -- the judge validity check (harness.judging.check) ------------------------------------

    async def finish(self) -> None:
        """After the last sample, while the judges are open: the validity check, when it is wanted."""
        items = self._check_items.selected(judge_check.items_setting(self.check_setting, len(self._jury)))
        if len(items) < 2:
            return

        async def check(judge: str) -> dict[str, Any]:
            params = {**self.panel.configs[judge].params, **self.params(judge)}
            ask = functools.partial(self._probe, judge)
            return await judge_check.check_judge(items, ask, sampled=judge_check.sampled(params))

        reports = await asyncio.gather(*(check(judge) for judge in self.judges))
        self.check = dict(zip(self.judges, reports))

    async def _probe(self, judge: str, inp: JudgeInput, label: str, repeat: bool) -> judge_check.Probe:
        """One probe of the check: the rubric's calls for ``inp`` through the run's judging path; a
        repeat is a second, separately cached, answer to the same request."""
        request_id = f"judge-check/{self.name}/{inp.item_id}/{label}" + ("/repeat" if repeat else "")
        verdicts, attempts = await self._verdicts(
            judge, self.rubric.calls(inp), request_id, salt="judge-check-repeat" if repeat else None
        )
        scores, problems = self.rubric.combine(verdicts)
        total, _ = self._total(scores, problems)
        value = None if isinstance(total, Unscored) else total
        consistent = scores.get("position_consistent") if len(verdicts) > 1 else None
        return judge_check.Probe(value, None if consistent is None else bool(consistent), len(attempts))

    # -- task level -------------------------------------------------------------------------

    def _series(self, rows: list[tuple[tuple[int, ...], dict[str, Any]]], quantity: str) -> list[Any]:
        return [values[quantity] for _, values in sorted(rows, key=lambda r: r[0])]

    def _metric_info(self, quantity: str) -> dict[str, Any]:
        spec = self.rubric.spec
        return {
            "rubric": self.name,
            "quantity": quantity,
            "judges": self.judges,
            "jury": spec.jury if len(self.judges) > 1 else None,
            "min_judges": self.min_judges,
            "task_aggregate": spec.task_aggregate,
        }

    def metric_results(self) -> dict[str, dict[str, Any]]:
        hib = self.rubric.spec.higher_is_better
        return {
            self.metric_name(q): metric_entry(
                self.metric_name(q),
                self._series(self._jury, q),
                info=self._metric_info(q),
                higher_is_better=hib,
                seed=self.seed,
            )
            for q in self.quantities
        }

    def info(self) -> dict[str, Any]:
        names = [self.metric_name(q) for q in self.quantities]
        per_judge = {
            j: {self.metric_name(q): self._series(self._per_judge[j], q) for q in self.quantities} for j in self.judges
        }
        out: dict[str, Any] = {
            "rubric": self.rubric.info(),
            "judges": {
                j: {
                    "model": self.panel.record(j),
                    "usage": _usage(self.tallies[j]),
                    "metrics": judge_metrics(per_judge[j], self.rubric.spec, seed=self.seed),
                }
                for j in self.judges
            },
            "jury": {
                "n_judges": len(self.judges),
                "aggregate": self.rubric.spec.jury,
                "min_judges": self.min_judges,
                "unscored_for_too_few_judges": sum(
                    isinstance(v[TOTAL], Unscored) and v[TOTAL].reason == FEW_JUDGES for _, v in self._jury
                ),
            },
            "agreement": {name: agreement({j: per_judge[j][name] for j in self.judges}) for name in names},
            "usage": sum_usage([_usage(self.tallies[j]) for j in self.judges]),
        }
        if self._consistent:
            n = sum(self._consistent.values())
            out["position_consistency"] = {"rate": self._consistent[True] / n, "n": n}
        if self.check:
            out["check"] = self.check
        return out

    async def aclose(self) -> None:
        await self.panel.release()


def _usage(tally: Tally) -> dict[str, Any]:
    """A judge's usage on one rubric; ``repairs``: repair prompts sent (or answered from the cache)."""
    return {**tally.as_dict(), "repairs": tally.counters["repairs"]}


def build_judge_stages(
    task: Any,
    judges: list[ModelConfig],
    *,
    registry: Any,
    cache: ResponseCache,
    concurrency: int,
    seed: int = 0,
    check: Any = "auto",
) -> list[JudgeStage]:
    """One stage per rubric the task lists, all sharing the judge models (``judge=[a,b,c]``);
    ``concurrency``: judge calls in flight per judge model (its config's own bound caps it);
    ``check``: the judge validity check (``judge_check``: auto, true, false or a number of samples)."""
    names = [j.name for j in judges]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TaskFileError(f"judge: {', '.join(duplicates)} listed more than once")
    if RESERVED in names:
        raise TaskFileError(f"judge: a judge model config may not be named '{RESERVED}'")
    panel = JudgePanel(judges, registry=registry, cache=cache, concurrency=concurrency)
    return [JudgeStage(rubric, panel, seed=seed, check=check) for rubric in task.plugins.rubrics]
