"""The judge validity check: a judge that tells the reference from a mismatched answer passes, one
that does not is flagged (``weak_judge``), and the check's calls count in the judge's usage."""

from __future__ import annotations

import json

from judge_env import DATA_FILE, judged_answer, verdict


def _references(data_dir, n):
    return [r["A"] for r in json.loads((data_dir / DATA_FILE).read_text(encoding="utf-8"))[:n]]


def discerning(references):
    """Scores 9 when the answer holds the reference shown in the prompt, 2 otherwise."""

    def respond(request):
        tag, answer, _ = judged_answer(request)
        prompt = "\n".join(str(m["content"]) for m in request["messages"]).replace(f"<{tag}>\n{answer}\n</{tag}>", "")
        own = next(r for r in references if r in prompt)
        return verdict(9, 9) if own in answer else verdict(2, 2)

    return respond


def constant(request):
    return verdict(7, 7)


def test_a_judge_that_discriminates_passes_and_a_constant_one_is_flagged(judged, data_dir, capsys):
    n = 10
    refs = _references(data_dir, n)
    run = judged(lambda request: "I am not sure.", {"discerning": discerning(refs), "constant": constant})
    run.judge_config("discerning")
    run.judge_config("constant")

    good = run.run("r-good", judge="discerning", limit=n, judge_check=True)
    check = good["judges"]["reference_match"]["check"]["discerning"]
    d = check["discrimination"]
    assert check["n_items"] == n and d["n"] == n
    assert d["share_gold_above"] == 1.0 and d["gold_mean"] == 9.0 and d["mismatched_mean"] == 2.0 and not d["weak"]
    assert check["verbosity"] == {"n": n, "mean_change": 0.0}
    assert "stability" not in check  # the judge does not sample (temperature 0)
    assert not [f for f in good["validity"]["flags"] if f["code"] == "weak_judge"]
    usage = good["judges"]["reference_match"]["judges"]["discerning"]["usage"]
    assert usage["requests"] == n + 3 * n  # the samples, then gold, mismatched and padded per item
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert (
        "judge check reference_match · discerning: gold 9 vs mismatched 2 (gap 7); gold higher on 100% of 10 items"
        in out
    )

    weak = run.run("r-weak", judge="constant", limit=n, judge_check=True)
    d = weak["judges"]["reference_match"]["check"]["constant"]["discrimination"]
    assert d["share_gold_not_above"] == 1.0 and d["gap"] == 0 and d["weak"]
    (flag,) = [f for f in weak["validity"]["flags"] if f["code"] == "weak_judge"]
    assert flag["judge"] == "constant" and flag["rubric"] == "reference_match" and flag["share_gold_not_above"] == 1.0
    assert weak["metrics"]["reference_match"]["info"]["judge_check"]["constant"]["weak"] is True
    assert weak["status"]["state"] == "complete"  # a weak judge is a validity flag, not a failed run


def test_the_check_is_off_below_fifty_samples_unless_asked(judged, data_dir):
    run = judged(lambda request: "I am not sure.", {"constant": constant})
    run.judge_config("constant")
    results = run.run("r-auto", judge="constant", limit=6)  # judge_check: auto
    assert "check" not in results["judges"]["reference_match"]
    assert results["judges"]["reference_match"]["judges"]["constant"]["usage"]["requests"] == 6
