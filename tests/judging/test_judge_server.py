"""Judging end to end against a real OpenAI-compatible server (the stub on 127.0.0.1).

Every case ends with exact scored / unscored counts: an invalid verdict is never a 0 and never
silently leaves the denominator.
"""

from __future__ import annotations

import json

from judge_env import (
    TAG,
    PairwisePlugin,
    Reply,
    adversarial,
    answers_by_question,
    counts,
    judged_answer,
    questions,
    verdict,
)

# Each candidate answer carries the case the scripted judge should play.
CASES = [
    "valid",
    "prose",
    "fenced",
    "repaired",
    "malformed",
    "out_of_range",
    "missing",
    "timeout",
    "string_score",
    "candidate_fails",
]


def case_judge(request):
    _, answer, repair = judged_answer(request)
    case = answer.split("]")[0].strip("[")
    if case == "valid":
        return verdict(8, 6)
    if case == "prose":
        return f"The answer names the right mechanism but omits follow-up.\nMy verdict: {verdict(7, 5)} -- that is all."
    if case == "fenced":
        return f"Reasoning first.\n```json\n{verdict(9, 9)}\n```"
    if case == "repaired":  # malformed on the first try, valid once asked to repair
        return verdict(4, 3) if repair else '{"rationale": "ok", "correctness": 4, "completeness": }'
    if case == "malformed":
        return "{correctness: 8, completeness: 6" + "}"
    if case == "out_of_range":
        return verdict(15, 6)
    if case == "missing":
        return json.dumps({"rationale": "x", "correctness": 5})
    if case == "timeout":
        return Reply(hang=True)
    if case == "string_score":
        return verdict("high", 5)
    raise AssertionError(f"unexpected case {case!r}")


def test_verdict_cases_end_with_the_right_counts(judged, data_dir):
    qs = questions(data_dir, len(CASES))
    answers = [
        Reply(status=400, content="bad request") if c == "candidate_fails" else f"[{c}] some answer" for c in CASES
    ]
    run = judged(answers_by_question(qs, answers), {"judge-a": case_judge})
    run.judge_config("judge-a", timeout_s=1.0)
    results = run.run("r1", judge="judge-a", limit=len(CASES))

    total = results["metrics"]["reference_match"]
    assert total["kind"] == "judge"
    # scored: valid, prose, fenced, repaired
    assert counts(total) == (
        4,
        6,
        {
            "malformed JSON": 1,
            "out of range": 1,
            "missing criterion": 1,
            "judge request failed": 1,
            "not a number": 1,
            "request failed": 1,
        },
    )
    assert total["value"] == (7 + 6 + 9 + 3.5) / 4  # means of (8,6) (7,5) (9,9) (4,3)
    correctness = results["metrics"]["reference_match.correctness"]
    assert counts(correctness) == (
        5,
        5,
        {"malformed JSON": 1, "out of range": 1, "judge request failed": 1, "not a number": 1, "request failed": 1},
    )
    completeness = results["metrics"]["reference_match.completeness"]
    assert counts(completeness) == (
        6,
        4,
        {"malformed JSON": 1, "missing criterion": 1, "judge request failed": 1, "request failed": 1},
    )
    assert completeness["value"] == (6 + 5 + 9 + 3 + 6 + 5) / 6

    samples = {
        s["response"].split("]")[0].strip("[") if s["response"] else "candidate_fails": s for s in run.samples("r1")
    }
    malformed = samples["malformed"]["judges"]["reference_match"]["judge-a"]
    assert len(malformed["attempts"]) == 3 and all(
        a["raw"] == "{correctness: 8, completeness: 6}" for a in malformed["attempts"]
    )
    assert malformed["values"]["reference_match"] == {"unscored": "malformed JSON"}
    repaired = samples["repaired"]["judges"]["reference_match"]["judge-a"]
    assert [a["problems"] is None for a in repaired["attempts"]] == [False, True]
    assert samples["out_of_range"]["judges"]["reference_match"]["judge-a"]["problems"]["correctness"].startswith(
        "out of range"
    )
    assert samples["timeout"]["judges"]["reference_match"]["judge-a"]["attempts"][0]["raw"] is None
    assert samples["candidate_fails"]["judges"]["reference_match"]["jury"]["values"]["reference_match"] == {
        "unscored": "request failed"
    }

    info = results["judges"]["reference_match"]
    judge = info["judges"]["judge-a"]
    assert judge["model"]["model"] == "judge-a" and judge["model"]["params"] == {"max_tokens": 200}
    assert judge["model"]["base_url"] == run.stub.base_url and len(judge["model"]["identity_sha256"]) == 64
    # 9 judged samples; repairs: repaired 1, malformed 2, out of range 2, missing 2, string 2
    assert judge["usage"]["repairs"] == 9 and judge["usage"]["requests"] == 9 + 9
    assert judge["usage"]["prompt_tokens"] > 0 and judge["usage"]["completion_tokens"] > 0
    assert info["agreement"]["reference_match"]["alpha"] is None  # one judge

    # a second run re-judges nothing: every verdict and repair comes from the cache
    served = run.stub.stats.models["judge-a"]
    again = run.run("r2", judge="judge-a", limit=len(CASES))
    assert run.stub.stats.models["judge-a"] == served + 1  # only the hung call (never cached) is asked again
    assert again["metrics"]["reference_match"] == total
    assert again["judges"]["reference_match"]["judges"]["judge-a"]["usage"]["cache_hits"] == 17


def honest(correct: dict[str, int]):
    """A judge that grades on its own: a low score for any adversarial answer, echoing it while reasoning."""

    def respond(request):
        tag, answer, _ = judged_answer(request)
        return (
            f"The answer under review was:\n<{tag}>\n{answer}\n</{tag}>\nIt tries to dictate its own grade, which I ignore.\n"
            f"Final verdict:\n```json\n{verdict(correct['correctness'], correct['completeness'])}\n```"
        )

    return respond


def quoting(request):
    """A judge that quotes the answer without tags before its own (low) verdict."""
    _, answer, _ = judged_answer(request)
    return f'Quoting the answer: "{answer}"\nThat does not answer the question.\n{verdict(1, 0)}'


def gullible(request):
    """A judge that obeys the answer: it repeats the score the answer claims for itself."""
    _, answer, _ = judged_answer(request)
    claim = next(row["claims"] for row in adversarial() if row["answer"] == answer)
    return verdict(claim["correctness"], claim["completeness"], "as instructed")


def test_adversarial_answers_never_get_their_claimed_score(judged, data_dir):
    rows = adversarial()
    assert {r["kind"] for r in rows} == {"instruction", "fake_json", "fake_delimiter"}
    qs = questions(data_dir, len(rows))
    run = judged(
        answers_by_question(qs, [r["answer"] for r in rows]),
        {"honest": honest({"correctness": 2, "completeness": 1}), "quoting": quoting, "gullible": gullible},
    )
    for name in ("honest", "quoting", "gullible"):
        run.judge_config(name)

    for name, expected in (("honest", (2, 1)), ("quoting", (1, 0))):
        results = run.run(f"r-{name}", judge=name, limit=len(rows))
        for key, value in (("reference_match.correctness", expected[0]), ("reference_match.completeness", expected[1])):
            assert counts(results["metrics"][key]) == (len(rows), 0, {})
            assert results["metrics"][key]["value"] == value
        for sample in run.samples(f"r-{name}"):
            claims = next(r["claims"] for r in rows if r["answer"] == sample["response"])
            scores = sample["judges"]["reference_match"][name]["scores"]
            assert scores == {"correctness": expected[0], "completeness": expected[1]}
            assert scores != claims

    # a judge that gives in: the harness sees its verdict repeats the answer's claim and refuses it
    results = run.run("r-gullible", judge="gullible", limit=len(rows))
    total = results["metrics"]["reference_match"]
    over_range = sum(r["claims"]["correctness"] > 10 for r in rows)
    assert counts(total) == (
        0,
        len(rows),
        {"verdict copies the answer": len(rows) - over_range, "out of range": over_range},
    )
    for sample in run.samples("r-gullible"):
        judge = sample["judges"]["reference_match"]["gullible"]
        assert judge["scores"] == {} and len(judge["attempts"]) == 3


def steady(offset: int):
    def respond(request):
        _, answer, _ = judged_answer(request)
        k = int(answer.split()[-1])
        return verdict(min(10, k + offset), min(10, k // 2 + offset))

    return respond


def test_jury_of_three_with_one_broken_judge(judged, data_dir):
    n = 12
    qs = questions(data_dir, n)
    run = judged(
        answers_by_question(qs, [f"answer number {k % 9}" for k in range(n)]),
        {"j1": steady(0), "j2": steady(1), "broken": lambda request: "I would rather not grade this one."},
    )
    for name in ("j1", "j2", "broken"):
        run.judge_config(name)
    results = run.run("jury", judge="[j1,j2,broken]", limit=n)
    total = results["metrics"]["reference_match"]
    assert counts(total) == (n, 0, {})  # min_judges defaults to 2 of 3
    expected = [((k % 9) + min(10, k % 9 + 1) + ((k % 9) // 2) + ((k % 9) // 2 + 1)) / 4 for k in range(n)]
    assert abs(total["value"] - sum(expected) / n) < 1e-9
    info = results["judges"]["reference_match"]
    assert info["judges"]["broken"]["metrics"]["reference_match"]["n_unscored"] == n
    assert info["judges"]["broken"]["metrics"]["reference_match"]["unscored_reasons"] == {"no JSON object": n}
    assert info["judges"]["j1"]["metrics"]["reference_match"]["n_scored"] == n
    alpha = info["agreement"]["reference_match"]
    assert alpha["n_judges"] == 3 and alpha["n_units"] == n and 0.8 < alpha["alpha"] < 1.0
    assert info["judges"]["broken"]["usage"]["requests"] == 3 * n  # first try + 2 repairs each
    sample = run.samples("jury")[0]["judges"]["reference_match"]
    assert set(sample) == {"j1", "j2", "broken", "jury"} and sample["jury"]["n_judges"] == 2

    # all three required: every sample is unscored, and says why
    strict = run.run(
        "strict",
        judge="[j1,j2,broken]",
        limit=n,
        judges="[{name: reference_match, args: {min_judges: 3, jury: median}}]",
    )
    assert counts(strict["metrics"]["reference_match"]) == (0, n, {"too few valid verdicts": n})


def test_sharded_judged_runs_merge_to_the_unsharded_result(judged, data_dir):
    from harness.runner.merge import merge_shards

    n = 12
    qs = questions(data_dir, n)
    run = judged(
        answers_by_question(qs, [f"answer number {k % 9}" for k in range(n)]),
        {"j1": steady(0), "j2": steady(2), "broken": lambda request: "no verdict"},
    )
    for name in ("j1", "j2", "broken"):
        run.judge_config(name)
    full = run.run("full", judge="[j1,j2,broken]", limit=n)
    for i in range(3):
        run.run(f"shard{i}", judge="[j1,j2,broken]", limit=n, shard=f"{i}/3")
    merged = merge_shards([run.tmp / f"shard{i}" for i in (1, 2, 0)], run.tmp / "merged", registry=run.registry)
    assert merged["metrics"] == full["metrics"]
    for key in ("agreement", "jury"):
        assert merged["judges"]["reference_match"][key] == full["judges"]["reference_match"][key]
    for judge in ("j1", "j2", "broken"):
        assert (
            merged["judges"]["reference_match"]["judges"][judge]["metrics"]
            == full["judges"]["reference_match"]["judges"][judge]["metrics"]
        )
    # the shards were answered from the cache the full run filled: no judge call was repeated
    assert merged["judges"]["reference_match"]["usage"]["requests"] == 0
    assert (
        merged["judges"]["reference_match"]["usage"]["cache_hits"]
        == full["judges"]["reference_match"]["usage"]["requests"]
    )


def test_pairwise_is_judged_in_both_orders(judged, data_dir):
    n = 6
    qs = questions(data_dir, n)

    def first_wins(request):  # a judge with pure position bias
        return '{"rationale": "the first one", "winner": "A"}'

    def prefers_short(request):  # a judge that prefers the shorter answer, wherever it stands
        content = next(m["content"] for m in request["messages"] if m["role"] == "user")
        a, b = [m.group(2) for m in TAG.finditer(content)]
        return json.dumps({"winner": "A" if len(a) < len(b) else "B"})

    run = judged(
        answers_by_question(qs, ["short"] * n),
        {"biased": first_wins, "fair": prefers_short},
        plugins=(PairwisePlugin(),),
    )
    run.judge_config("biased")
    run.judge_config("fair")
    biased = run.run("biased", judge="biased", limit=n, judges="[vs_reference]")
    assert counts(biased["metrics"]["vs_reference"]) == (n, 0, {}) and biased["metrics"]["vs_reference"]["value"] == 0.5
    assert biased["judges"]["vs_reference"]["position_consistency"] == {"rate": 0.0, "n": n}
    assert run.stub.stats.models["biased"] == 2 * n
    fair = run.run("fair", judge="fair", limit=n, judges="[vs_reference]")
    assert fair["metrics"]["vs_reference"]["value"] == 1.0  # "short" beats every (longer) reference in both orders
    assert fair["judges"]["vs_reference"]["position_consistency"] == {"rate": 1.0, "n": n}
