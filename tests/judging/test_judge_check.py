"""The judge validity check end to end: scripted judges on the test server, through ``run_job``.

Each judge is a responder that grades from what the prompt shows it (the reference and the
delimited answer), so every figure of the report is known exactly in advance.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from judge_env import PairwisePlugin, answers_by_question, judged_answer, questions, verdict

from harness.judging.check import FILLER, discrimination, figures, items_setting, probes, stability, summary, verbosity
from harness.judging.rubric import JudgeInput

REFERENCE = re.compile(r"Reference answer:\n(.*?)\n\nAnswer to grade:", re.DOTALL)


def graded(request) -> tuple[str, str]:
    """(reference, answer) as the reference_match prompt shows them to the judge."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return REFERENCE.search(user).group(1), judged_answer(request)[1]


def discerning(request) -> str:
    """9 for the reference itself, 8 for the reference padded with filler, 2 for anything else."""
    reference, answer = graded(request)
    score = 9 if answer == reference else 8 if answer.startswith(reference) else 2
    return verdict(score, score)


def flat(request) -> str:
    """A judge that cannot tell answers apart: 5 for everything."""
    return verdict(5, 5)


def candidate(data_dir, n):
    qs = questions(data_dir, n)
    return answers_by_question(qs, [f"My answer number {k}." for k in range(n)])


def test_a_run_of_50_samples_reports_a_discerning_judge(judged, data_dir, capfd):
    run = judged(candidate(data_dir, 50), {"discerning": discerning})
    run.judge_config("discerning")
    results = run.run("r50", judge="discerning", limit=50)
    report = results["judges"]["reference_match"]["check"]["discerning"]
    assert report["n_items"] == 20 and report["n_calls"] == 60  # 3 probes x 20 samples, no repairs
    assert report["discrimination"] == {
        "n": 20,
        "gold_mean": 9.0,
        "mismatched_mean": 2.0,
        "gap": 7.0,
        "share_gold_above": 1.0,
        "share_gold_not_above": 0.0,
        "weak": False,
    }
    assert report["verbosity"] == {"n": 20, "mean_change": -1.0}
    assert "stability" not in report and "position_bias" not in report  # temperature 0, pointwise
    assert [row["id"] for row in report["items"]] == [s["id"] for s in run.samples("r50")[:20]]
    # the check's calls go through the judge's cached path and count in its usage
    usage = results["judges"]["reference_match"]["judges"]["discerning"]["usage"]
    assert usage["requests"] == 50 + 60 and run.stub.stats.models["discerning"] == 110
    assert not any(f["code"] == "weak_judge" for f in results["validity"]["flags"])
    out = " ".join(capfd.readouterr().out.split())  # the console wraps long lines
    assert (
        "judge check reference_match · discerning: gold 9 vs mismatched 2 (gap 7); gold higher on 100% of 20 items; "
        "filler -1" in out
    )

    again = run.run("r50-again", judge="discerning", limit=50)  # every check call from the cache
    assert again["judges"]["reference_match"]["check"] == results["judges"]["reference_match"]["check"]
    assert again["judges"]["reference_match"]["judges"]["discerning"]["usage"]["cache_hits"] == 110
    assert run.stub.stats.models["discerning"] == 110


def test_the_check_is_on_from_50_samples_or_when_asked(judged, data_dir):
    run = judged(candidate(data_dir, 49), {"discerning": discerning})
    run.judge_config("discerning")
    assert "check" not in run.run("r49", judge="discerning", limit=49)["judges"]["reference_match"]
    assert run.stub.stats.models["discerning"] == 49
    forced = run.run("r10", judge="discerning", limit=10, judge_check=4)  # a number: that many samples
    report = forced["judges"]["reference_match"]["check"]["discerning"]
    assert report["n_items"] == 4 and report["discrimination"]["n"] == 4
    off = run.run("r49-off", judge="discerning", limit=49, judge_check=False)
    assert "check" not in off["judges"]["reference_match"]
    assert run.stub.stats.models["discerning"] == 49 + 4 * 3  # r10 and r49-off from the cache, then the check
    assert [items_setting(v, n) for v, n in (("auto", 50), ("auto", 49), (True, 2), (False, 10_000), (7, 3))] == [
        20,
        0,
        20,
        0,
        7,
    ]


def test_a_judge_that_cannot_tell_answers_apart_is_flagged_weak(judged, data_dir, capfd):
    run = judged(candidate(data_dir, 12), {"flat": flat})
    run.judge_config("flat")
    results = run.run("weak", judge="flat", limit=12, judge_check=True)
    report = results["judges"]["reference_match"]["check"]["flat"]
    assert report["discrimination"]["share_gold_above"] == 0.0 and report["discrimination"]["weak"] is True
    (flag,) = [f for f in results["validity"]["flags"] if f["code"] == "weak_judge"]
    assert (flag["rubric"], flag["judge"], flag["share_gold_not_above"], flag["n"], flag["gap"]) == (
        "reference_match",
        "flat",
        1.0,
        12,
        0.0,
    )
    err = " ".join(capfd.readouterr().err.split())  # the console wraps long lines
    assert "warning: judged_ck: reference_match: judge 'flat' scored the reference no higher than a mismatched" in err
    assert results["status"]["state"] == "complete"  # a weak judge is a validity flag, not a failed run


def test_a_sampled_judge_is_asked_twice(judged, data_dir):
    """With a temperature above 0 the gold probe is asked again: same request, its own cache entry."""
    seen: Counter[str] = Counter()

    def moody(request) -> str:
        reference, answer = graded(request)
        key = repr(request["messages"])
        seen[key] += 1
        if answer != reference:
            return verdict(2, 2)
        return verdict(9, 9) if seen[key] == 1 else verdict(7, 7)  # the second answer to a request differs

    run = judged(candidate(data_dir, 6), {"moody": moody})
    run.judge_config("moody")
    sampled = "[{name: reference_match, args: {params: {temperature: 0.7}}}]"
    results = run.run("sampled", judge="moody", limit=6, judges=sampled, judge_check=True)
    report = results["judges"]["reference_match"]["check"]["moody"]
    assert report["stability"] == {"n": 6, "mean_abs_change": 2.0, "share_changed": 1.0}
    assert report["n_calls"] == 6 * 4
    again = run.run("sampled-again", judge="moody", limit=6, judges=sampled, judge_check=True)
    assert again["judges"]["reference_match"]["check"] == results["judges"]["reference_match"]["check"]


def test_position_bias_of_a_pairwise_judge(judged, data_dir):
    def first_wins(request) -> str:
        return '{"rationale": "the first one", "winner": "A"}'

    run = judged(candidate(data_dir, 5), {"biased": first_wins}, plugins=(PairwisePlugin(),))
    run.judge_config("biased")
    results = run.run("pairwise", judge="biased", limit=5, judges="[vs_reference]", judge_check=True)
    report = results["judges"]["vs_reference"]["check"]["biased"]
    assert report["position_bias"] == {"n": 15, "share_flipped": 1.0}  # 3 probes x 5 samples, every one flips
    assert report["discrimination"]["gold_mean"] == report["discrimination"]["mismatched_mean"] == 0.5
    assert report["discrimination"]["weak"] is True and report["n_calls"] == 5 * 3 * 2


def test_merged_shards_report_the_check_over_all_their_samples(judged, data_dir):
    from harness.runner.merge import merge_shards

    run = judged(candidate(data_dir, 8), {"discerning": discerning})
    run.judge_config("discerning")
    for i in range(2):
        run.run(f"shard{i}", judge="discerning", limit=8, shard=f"{i}/2", judge_check=True)
    merged = merge_shards([run.tmp / f"shard{i}" for i in range(2)], run.tmp / "merged", registry=run.registry)
    report = merged["judges"]["reference_match"]["check"]["discerning"]
    assert report["n_items"] == 8 and report["discrimination"]["gap"] == 7.0 and report["n_calls"] == 24


def test_figures_from_rows():
    rows = [
        {"id": "a", "gold": 9.0, "mismatched": 2.0, "padded": 9.5, "calls": 3},
        {"id": "b", "gold": 4.0, "mismatched": 6.0, "padded": None, "calls": 5},
        {"id": "c", "gold": None, "mismatched": 1.0, "padded": 3.0, "calls": 3},
    ]
    out = figures(rows)
    assert out["n_items"] == 3 and out["n_calls"] == 11
    assert out["discrimination"] == discrimination([(9.0, 2.0), (4.0, 6.0)])
    assert out["discrimination"]["share_gold_above"] == 0.5 and out["discrimination"]["weak"] is True
    assert out["discrimination"]["gap"] == pytest.approx(2.5)
    assert out["verbosity"] == verbosity([(9.0, 9.5)]) == {"n": 1, "mean_change": 0.5}
    assert discrimination([])["weak"] is None and stability([]) == {
        "n": 0,
        "mean_abs_change": None,
        "share_changed": None,
    }
    # one gold below mismatched in five: 20%, not more than 20%, so not weak
    assert discrimination([(5, 1)] * 4 + [(1, 5)])["weak"] is False


def test_probes_pair_each_sample_with_a_different_reference():
    items = [JudgeInput(str(k), "q", [], "", ref) for k, ref in enumerate(["A", "A", "B"])]
    built = probes(items)
    assert [p["mismatched"].answer for _, p in built] == ["B", "B", "A"]
    assert built[0][1]["padded"].answer == f"A\n\n{FILLER}" and built[0][1]["gold"].answer == "A"
    assert "mismatched" not in probes(items[:2])[0][1]  # every reference the same: nothing to mismatch


def test_the_summary_line_says_discrimination_first():
    rows = [{"id": str(k), "gold": 9.0, "mismatched": 2.0, "padded": 9.5, "again": 8.0, "calls": 4} for k in range(4)]
    assert summary(figures(rows)) == (
        "gold 9 vs mismatched 2 (gap 7); gold higher on 100% of 4 items; filler +0.5; asked again, changes by 1"
    )
    assert summary(figures([{"id": "a", "gold": None, "mismatched": 1.0, "padded": None}])) == (
        "no sample had both answers scored (of 1 checked)"
    )
