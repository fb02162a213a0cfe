"""ECG-Bench's Hub subsets (letter choice, multi-label, arena) through the CLI.

The subsets live only on the Hugging Face Hub (PULSE-ECG/ECGBench) and are not in the shared
data, so these tests write small Parquet files in the Hub's record shape (``id``, ``image`` as
``{bytes, path}``, ``conversations``), as ``datasets``' ``to_parquet`` exports them, into a temporary data directory: they test the loading,
extraction and scoring mechanisms, not ECG-Bench's numbers. Each row's image is a real PNG whose
width encodes the row (``40 + row``), so a test can tell which picture the model was sent.
Nothing is downloaded.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from harness.results.writer import sample_prediction
from harness.testing.openai_stub import OpenAIStub, Reply, by_model
from harness.testing.stub.images import check_images
from harness.testing.stub.responders import last_user_text
from tests.conftest import result_files, run_harness


def png(width: int, height: int = 20) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def hub_records(subset: str, rows: list[tuple[str, str] | list[tuple[str, str]]]) -> list[dict]:
    """Hub-shaped records: each row a (question, gold) pair or a list of them (multi-turn)."""
    records = []
    for n, row in enumerate(rows):
        turns = row if isinstance(row, list) else [row]
        conv = []
        for q, a in turns:
            conv += [{"from": "human", "value": ("<image>\n" if not conv else "") + q}, {"from": "gpt", "value": a}]
        records.append(
            {
                "id": f"{subset}-{n}",
                "image": {"bytes": png(40 + n), "path": f"images/{subset}/{n}.png"},
                "conversations": conv,
            }
        )
    return records


def hub_file(root: Path, subset: str, rows: list[tuple[str, str] | list[tuple[str, str]]]) -> None:
    """A Hub-shaped Parquet file, as ``datasets``' ``to_parquet`` writes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = root / "ecgbench" / "hub" / f"{subset}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(hub_records(subset, rows)), path)


def answers_by_question(table: dict[str, str], widths: dict[str, int] | None = None):
    """Answer by the question's text; with ``widths``, first check the request carries that question's picture."""

    def respond(request: dict) -> str:
        text = last_user_text(request)
        question, answer = next((q, a) for q, a in table.items() if q in text)
        if widths is not None:
            images = check_images(request)
            assert len(images) == 1 and images[0].valid and images[0].width == widths[question], images
        return answer

    return respond


def cli(task: str, root: Path, tmp: Path, stub: OpenAIStub, *extra: str, rc: int = 0) -> tuple[dict, list[dict]]:
    """Run the task against the stub; ``rc``: the exit code the run must end with (3 partial, 4 nothing scored)."""
    proc = run_harness(
        f"+task={task}",
        "model=local_server",
        "model.model=candidate",
        *extra,
        cwd=tmp,
        env={"HARNESS_BASE_URL": stub.base_url, "HARNESS_DATA_DIR": str(root), "HARNESS_CACHE_DIR": str(tmp / "cache")},
    )
    assert proc.returncode == rc, proc.stderr[-3000:]
    path = result_files(tmp)[0]
    return json.loads(path.read_text()), [
        json.loads(x) for x in path.with_name("samples.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("C", "C"),
        (" b ", "B"),
        ("D. Atrial fibrillation", "D"),
        ("The correct option is B.", "B"),
        ("The correct option is (A)", "A"),
        ("Reasoning first.\nAnswer: C", "C"),
        ("Answer: B ... later Answer: D", "D"),
        ("I would go with A or maybe B", None),
        ("Atrial fibrillation", None),
        ("", None),
        ("E", None),
    ],
)
def test_released_letter_rules(text, letter):
    from harness.plugins.output_types.multiple_choice import extract_letter_ecgbench

    assert extract_letter_ecgbench(text, "ABCD") == letter


def test_random_letter_switch_reproduces_upstreams_seeded_stream():
    from harness.metrics.base import ScoreInput
    from harness.plugins.metrics.choice import ChoiceAccuracy

    golds = list("ABCDABCDAB")
    batch = [ScoreInput(prediction=None if k % 2 else g, reference=g) for k, g in enumerate(golds)]
    assert ChoiceAccuracy().compute(batch) == [1.0, 0.0] * 5  # default: unparseable is wrong
    metric = ChoiceAccuracy().with_args(unparseable="random", seed=42, letters="ABCD")
    random.seed(42)  # upstream: random.seed(42) once, random.choice per unparseable answer, in order
    upstream = [
        1.0 if (g if k % 2 == 0 else random.choice(["A", "B", "C", "D"])) == g else 0.0 for k, g in enumerate(golds)
    ]
    assert metric.compute(batch[:4]) + metric.compute(batch[4:]) == upstream  # the stream continues across batches
    assert ChoiceAccuracy().with_args(unparseable="random").compute(batch) == upstream  # a fresh stream per run


QUESTIONS = {  # question -> (gold, model answer)
    "Which rhythm is shown? A. AF B. SR C. VT D. AFL": ("B", "B"),
    "Which axis? A. normal B. left C. right D. extreme": ("A", "A. Normal axis"),
    "Which block? A. none B. 1AVB C. LBBB D. RBBB": ("D", "The correct option is D because of the rSR' in V1."),
    "Which finding? A. LVH B. RVH C. LAE D. none": ("C", "Looking at P waves... Answer: B"),
    "Which infarct? A. inferior B. anterior C. lateral D. none": ("B", "It is probably an anterior infarction."),
    "Which rate? A. 40 B. 60 C. 80 D. 120": ("C", "C"),
}


def test_letter_choice_task(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "csn-test-no-cot", [(q, g) for q, (g, _) in QUESTIONS.items()])
    widths = {q: 40 + n for n, q in enumerate(QUESTIONS)}  # each question arrives with its own row's picture
    with OpenAIStub(
        by_model({"candidate": answers_by_question({q: a for q, (_, a) in QUESTIONS.items()}, widths)})
    ) as stub:
        results, samples = cli("ecgbench_csn", root, tmp_path, stub)
        assert stub.stats.images_valid == 6 and stub.stats.images_invalid == 0
    assert results["task"]["n_samples"] == 6 and results["task"]["modality"] == "released_image"
    assert results["task"]["n_unparseable"] == 1  # "probably an anterior infarction": no rule applies
    assert results["metrics"]["accuracy"]["value"] == pytest.approx(
        4 / 6
    )  # B, A, D, C right; B-for-C wrong; unparseable wrong
    assert results["metrics"]["choice_accuracy"]["value"] == pytest.approx(4 / 6)
    assert [sample_prediction(s) for s in samples] == ["B", "A", "D", "B", None, "C"]
    assert "<image>" not in samples[0]["messages"][-1]["content"][-1]["text"]


def test_released_images_found_by_path_and_absent_ones_reported(tmp_path):
    """A JSON export names each picture by path: found under the data directory, or reported absent."""
    root = tmp_path / "data"
    records = hub_records("csn-test-no-cot", [(q, g) for q, (g, _) in QUESTIONS.items()])
    for n, record in enumerate(records):
        image = record["image"]
        record["image"] = image["path"]
        if n != 2:  # row 2's picture is not there
            (root / "ecgbench" / image["path"]).parent.mkdir(parents=True, exist_ok=True)
            (root / "ecgbench" / image["path"]).write_bytes(image["bytes"])
    task_file = tmp_path / "tasks" / "csn_json.yaml"
    task_file.parent.mkdir()
    spec = (Path(__file__).parents[2] / "tasks" / "ecgbench" / "ecgbench_csn.yaml").read_text()
    task_file.write_text(
        spec.replace("name: ecgbench_csn", "name: csn_json").replace(
            "ecgbench/hub/csn-test-no-cot.parquet", "ecgbench/csn.json"
        )
    )
    (root / "ecgbench" / "csn.json").write_text(json.dumps(records))
    widths = {q: 40 + n for n, q in enumerate(QUESTIONS)}
    with OpenAIStub(
        by_model({"candidate": answers_by_question({q: a for q, (_, a) in QUESTIONS.items()}, widths)})
    ) as stub:
        results, samples = cli("csn_json", root, tmp_path, stub, f"include=[{task_file.parent}]", rc=3)
    assert results["task"]["n_samples"] == 5
    assert results["status"]["state"] == "partial" and results["status"]["n_absent"] == 1
    assert {f["code"] for f in results["validity"]["flags"]} == {"partial", "absent_records"}
    ecg = results["task"]["ecg"]
    assert (
        ecg["n_absent"] == 1
        and ecg["absent_ids"] == ["csn-test-no-cot-2"]
        and ecg["absent_records"] == ["images/csn-test-no-cot/2.png"]
    )
    assert str(root / "ecgbench") in ecg["looked_in"]
    assert [s["id"] for s in samples] == [f"csn-test-no-cot-{n}" for n in (0, 1, 3, 4, 5)]


def test_text_modality_sends_the_question_alone(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "csn-test-no-cot", [(q, g) for q, (g, _) in QUESTIONS.items()])
    with OpenAIStub(by_model({"candidate": answers_by_question({q: a for q, (_, a) in QUESTIONS.items()})})) as stub:
        results, samples = cli("ecgbench_csn", root, tmp_path, stub, "modality=text", "allow_text_only=true")
        assert stub.stats.images_valid == 0 and stub.stats.images_invalid == 0
    assert results["task"]["modality"] == "text" and results["task"]["ecg"] is None
    assert results["validity"]["allow_text_only"] is True
    assert [f["code"] for f in results["validity"]["flags"]] == ["text_only"]
    assert results["metrics"]["accuracy"]["value"] == pytest.approx(4 / 6)
    assert isinstance(samples[0]["messages"][-1]["content"], str)


def test_text_modality_is_refused_unless_asked_for(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "csn-test-no-cot", [(q, g) for q, (g, _) in QUESTIONS.items()])
    with OpenAIStub(by_model({"candidate": answers_by_question({q: a for q, (_, a) in QUESTIONS.items()})})) as stub:
        proc = run_harness(
            "+task=ecgbench_csn",
            "model=local_server",
            "modality=text",
            cwd=tmp_path,
            env={"HARNESS_BASE_URL": stub.base_url, "HARNESS_DATA_DIR": str(root), "HARNESS_CACHE_DIR": str(tmp_path)},
        )
        assert stub.stats.requests == 0  # refused before any request
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "shows the model an ECG" in proc.stderr and "allow_text_only=true" in proc.stderr
    assert not (tmp_path / "runs").exists() or not result_files(tmp_path)  # no empty run directory left behind
    assert not list((tmp_path / "runs").rglob("*_ecgbench_csn_local_server"))


def test_released_image_bytes_are_checked():
    from harness.ecg.released_image import image_part, missing_image
    from harness.errors import DataError
    from harness.task.dataset import Doc

    spec = {"image": "image", "image_roots": ["ecgbench"]}
    jpeg = Doc("a", {"image": "x.jpg", "image_bytes": b"\xff\xd8\xff\xe0" + b"0" * 16})
    assert image_part(jpeg, spec, None)["image_url"]["url"].startswith("data:image/jpeg;base64,")
    with pytest.raises(DataError, match="sample b: its released image is not a PNG"):
        image_part(Doc("b", {"image": {"bytes": b"<html>", "path": "b.png"}}), spec, None)
    webp = Doc("w", {"image_bytes": b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"0" * 8})
    assert image_part(webp, spec, None)["image_url"]["url"].startswith("data:image/webp;base64,")
    with pytest.raises(DataError, match="sample v: its released image is not a PNG"):  # RIFF, but a WAVE file
        image_part(Doc("v", {"image_bytes": b"RIFF\x10\x00\x00\x00WAVEfmt " + b"0" * 8}), spec, None)
    assert missing_image(Doc("c", {"image": "c.png", "image_bytes": None}), spec, None) == ["c.png"]
    assert missing_image(Doc("d", {}), spec, None) == ["(no image in the record)"]


LABELS = ["NORM", "MI", "STTC", "CD", "HYP"]
MULTI = [  # (question, gold text, model answer, gold labels, predicted labels)
    ("Q1 which classes?", "NORM", "This is a normal ECG.", ["NORM"], ["NORM"]),
    (
        "Q2 which classes?",
        "MI, STTC",
        "Signs of myocardial infarction and ST/T changes.",
        ["MI", "STTC"],
        ["MI", "STTC"],
    ),
    ("Q3 which classes?", "CD", "MI and CD", ["CD"], ["CD", "MI"]),
    ("Q4 which classes?", "HYP, CD", "Left ventricular hypertrophy.", ["CD", "HYP"], ["HYP"]),
    ("Q5 which classes?", "STTC", "I cannot tell.", ["STTC"], []),
]


def test_multi_label_task_scored_with_scikit_learn(tmp_path):
    from sklearn.metrics import f1_score, hamming_loss, roc_auc_score
    from sklearn.preprocessing import MultiLabelBinarizer

    root = tmp_path / "data"
    hub_file(root, "ptb-test", [(q, g) for q, g, *_ in MULTI])
    with OpenAIStub(by_model({"candidate": answers_by_question({q: a for q, _, a, *_ in MULTI})})) as stub:
        results, samples = cli("ecgbench_ptb_test", root, tmp_path, stub)
    assert [s["reference"] for s in samples] == [m[3] for m in MULTI]
    assert [sample_prediction(s) for s in samples] == [m[4] for m in MULTI]
    assert results["task"]["n_unparseable"] == 1
    mlb = MultiLabelBinarizer(classes=LABELS)
    y_true, y_pred = mlb.fit_transform([m[3] for m in MULTI]), mlb.transform([m[4] for m in MULTI])
    metrics = results["metrics"]
    assert metrics["f1_macro"]["value"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert metrics["hamming_loss"]["value"] == pytest.approx(hamming_loss(y_true, y_pred))
    both = [k for k in range(5) if 0 < y_true[:, k].sum() < 5]
    assert metrics["auc_macro"]["value"] == pytest.approx(
        roc_auc_score(y_true[:, both], y_pred[:, both], average="macro")
    )


CODE15 = ["1dAVb", "ABNORMAL", "AF", "LBBB", "NORM", "RBBB", "SB", "ST"]
CODE15_ROWS = [  # (question, gold text, model answer, gold labels, fixed prediction, upstream prediction)
    ("C1 which classes?", "ABNORMAL", "ABNORMAL", ["ABNORMAL"], ["ABNORMAL"], ["ABNORMAL"]),
    ("C2 which classes?", "ABNORMAL", "An abnormal ECG.", ["ABNORMAL"], ["ABNORMAL"], []),
    ("C3 which classes?", "RBBB", "Abnormal: right bundle branch block", ["RBBB"], ["RBBB"], []),
    ("C4 which classes?", "NORM", "Answer: NORM", ["NORM"], ["NORM"], ["NORM"]),
    ("C5 which classes?", "ABNORMAL", "ABNORMAL ECG with AF", ["ABNORMAL"], ["AF"], ["ABNORMAL", "AF"]),
]
# The real code15-test rows are only on the Hub (not in the shared data): these rows take its shape.


@pytest.mark.parametrize("compat", ["fixed", "upstream"])
def test_code15_abnormal_gold_is_a_class(tmp_path, compat):
    """A gold "ABNORMAL" is its own class in both modes (in fixed mode it was a data error)."""
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    root = tmp_path / "data"
    hub_file(root, "code15-test", [(q, g) for q, g, *_ in CODE15_ROWS])
    extra = [] if compat == "fixed" else ["compat=upstream"]
    answers = {q: a for q, _, a, *_ in CODE15_ROWS}
    with OpenAIStub(by_model({"candidate": answers_by_question(answers)})) as stub:
        results, samples = cli("ecgbench_code15", root, tmp_path, stub, *extra)
    assert results["task"]["version"] == "3"
    assert [sorted(s["reference"]) for s in samples] == [m[3] for m in CODE15_ROWS]
    predicted = [m[4] if compat == "fixed" else m[5] for m in CODE15_ROWS]
    assert [sorted(sample_prediction(s)) for s in samples] == [sorted(p) for p in predicted]
    golds = [m[3] for m in CODE15_ROWS]
    vocab = sorted({x for g in golds for x in g} | ({x for p in predicted for x in p} if compat == "fixed" else set()))
    mlb = MultiLabelBinarizer(classes=vocab)
    y_true, y_pred = mlb.fit_transform(golds), mlb.transform([[x for x in p if x in vocab] for p in predicted])
    expected = f1_score(y_true, y_pred, average="macro", zero_division=0)
    assert results["metrics"]["f1_macro"]["value"] == pytest.approx(expected)


ARENA = [
    [("Describe the rhythm.", "Sinus rhythm at 70 bpm."), ("Any ST changes?", "No.")],
    [("Is there a block?", "First-degree AV block."), ("What is the PR?", "240 ms.")],
]
OWN = {
    "Describe the rhythm.": "Sinus.",
    "Any ST changes?": "None seen.",
    "Is there a block?": "AV block.",
    "What is the PR?": "About 240 ms.",
}
FIRST = {"Any ST changes?": "Describe the rhythm.", "What is the PR?": "Is there a block?"}  # second question -> first


def arena_candidate(request: dict) -> str:
    """The model under test: answers each question; a second question must follow its own first answer."""
    messages, question = request["messages"], last_user_text(request)
    images = check_images(request)
    assert len(images) == 1 and images[0].valid  # the picture, once, in the first user turn
    if question in FIRST:
        assert [m["role"] for m in messages] == ["user", "assistant", "user"]
        assert messages[1] == {"role": "assistant", "content": OWN[FIRST[question]]}
    return OWN[question]


def test_arena_is_a_conversation_judged_on_three_aspects(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "arena", ARENA)

    def judge(request: dict) -> str:
        user = request["messages"][1]["content"]
        row = 0 if "Sinus rhythm at 70 bpm." in user else 1
        (q1, g1), (q2, g2) = ARENA[row]
        # the released wrapper (gt_prompt, model_prompt): both turns, the model's own answers, each
        # fenced as untrusted text with the tag the judge's system message names
        tag = re.search(r"<(answer-[0-9a-f]{16})>", user).group(1)
        assert f"<{tag}>" in request["messages"][0]["content"]
        a1, a2 = (f"<{tag}>\n{OWN[q]}\n</{tag}>" for q in (q1, q2))
        assert (
            f"**Question:**\n{q1}\n\n**Ground Truth Answer:** {g1}\n\n**Question:**\n{q2}\n\n**Ground Truth Answer:** {g2}"
            in user
        )
        assert (
            f"**Question:**\n{q1}\n\n**Model's Response:** {a1}\n\n**Question:**\n{q2}\n\n**Model's Response:** {a2}"
            in user
        )
        if row == 0:
            return (
                "{Accuracy: {Score: 8, Explanation: a}, Completeness: {Score: 6, Explanation: b}, "
                "Instruction Adherence: {Score: 10, Explanation: c}}"
            )
        return json.dumps(
            {"Accuracy": {"Score": 4}, "Completeness": {"Score": 5}, "InstructionAdherence": {"Score": 9}}
        )

    with OpenAIStub(by_model({"candidate": arena_candidate, "default": judge})) as stub:
        results, samples = cli("ecgbench_arena", root, tmp_path, stub, "judge=local_server")
        assert stub.stats.requests == 4 + 2  # two turns per item, one verdict per item
        (tmp_path / "again").mkdir()
        cli("ecgbench_arena", root, tmp_path / "again", stub, "judge=local_server", f"cache_dir={tmp_path / 'cache'}")
        assert stub.stats.requests == 6  # the second run: every turn and verdict from the cache
    total = results["metrics"]["ecgbench_arena"]
    assert total["n_scored"] == 2 and total["value"] == pytest.approx((10 * 24 / 3 + 10 * 18 / 3) / 2)
    assert results["metrics"]["ecgbench_arena.InstructionAdherence"]["value"] == pytest.approx(9.5)
    assert [s["response"] for s in samples] == ["None seen.", "About 240 ms."] and [
        s["reference"] for s in samples
    ] == ["No.", "240 ms."]
    assert [m["role"] for m in samples[0]["messages"]] == ["user", "assistant", "user"]
    assert results["usage"]["requests"] == 4


def test_a_failed_later_turn_keeps_the_earlier_ones(tmp_path):
    root = tmp_path / "data"
    hub_file(root, "arena", ARENA[:1])
    refuse = [True]

    def candidate(request: dict) -> str | Reply:
        if refuse[0] and last_user_text(request) in FIRST:
            return Reply("bad request", status=400)
        return arena_candidate(request)

    with OpenAIStub(by_model({"candidate": candidate})) as stub:
        results, samples = cli("ecgbench_arena", root, tmp_path, stub, rc=4)  # its only sample failed: nothing scored
        assert results["status"]["state"] == "empty"
        assert (
            results["usage"]["failed"] == 1 and samples[0]["response"] is None and "bad request" in samples[0]["error"]
        )
        assert [m["role"] for m in samples[0]["messages"]] == [
            "user",
            "assistant",
            "user",
        ]  # where the conversation stopped
        assert stub.stats.requests == 2
        refuse[0] = False
        (tmp_path / "again").mkdir()
        results, samples = cli("ecgbench_arena", root, tmp_path / "again", stub, f"cache_dir={tmp_path / 'cache'}")
        assert stub.stats.requests == 3  # the first answer came from the cache
    assert (
        samples[0]["response"] == "None seen."
        and results["usage"]["cache_hits"] == 1
        and results["usage"]["failed"] == 0
    )


def test_hub_subset_from_the_datasets_cache_file(tmp_path):
    """A subset as ``datasets`` stores it locally (an Arrow file, image column undecoded) reads like the Parquet export."""
    import datasets

    from harness.plugins.loaders.chat import load_chat

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "image": datasets.Image(),
            "conversations": [{"from": datasets.Value("string"), "value": datasets.Value("string")}],
        }
    )
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 4), "white").save(buffer, format="PNG")
    records = [
        {
            "id": "g12-0",
            "image": {"bytes": buffer.getvalue(), "path": "images/g12/0.png"},
            "conversations": [
                {"from": "human", "value": "<image>\nWhich rhythm? A. SR B. AF"},
                {"from": "gpt", "value": "A"},
            ],
        }
    ]
    ds = datasets.Dataset.from_list(records, features=features)
    ds.save_to_disk(str(tmp_path / "saved"))
    arrow = next((tmp_path / "saved").glob("*.arrow"))
    rows = list(load_chat(arrow, {}))
    assert rows[0]["question"] == "Which rhythm? A. SR B. AF" and rows[0]["answer"] == "A"
    assert rows[0]["image"].endswith("0.png") and rows[0]["record"] == "0"  # datasets keeps the file name


def test_images_are_logged_once_beside_the_samples_and_shards_keep_them(tmp_path):
    """samples.jsonl refers to each picture (attachment://<sha256>.png), stored once per run; a
    picture two samples share is one file; the merge of a sharded run brings the shards' pictures along."""
    import base64
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    from harness.results.attachments import inline

    root = tmp_path / "data"
    records = hub_records("csn-test-no-cot", [(q, g) for q, (g, _) in QUESTIONS.items()])
    records[1]["image"] = records[0]["image"]  # rows 0 and 1 show the same picture
    (root / "ecgbench" / "hub").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(records), root / "ecgbench" / "hub" / "csn-test-no-cot.parquet")
    responder = by_model({"candidate": answers_by_question({q: a for q, (_, a) in QUESTIONS.items()})})
    with OpenAIStub(responder) as stub:
        _, samples = cli("ecgbench_csn", root, tmp_path / "whole", stub)
        for i in range(2):
            cli(
                "ecgbench_csn",
                root,
                tmp_path / f"s{i}",
                stub,
                f"shard={i}/2",
                f"cache_dir={tmp_path / 'whole' / 'cache'}",
            )
    run_dir = result_files(tmp_path / "whole")[0].parent
    assert "base64" not in (run_dir / "samples.jsonl").read_text()
    pictures = [r["image"]["bytes"] for r in records]
    for sample, picture in zip(samples, pictures):
        ref = sample["messages"][-1]["content"][0]["image_url"]["url"]
        assert ref == f"attachment://{hashlib.sha256(picture).hexdigest()}.png"
        url = inline(sample["messages"], run_dir)[-1]["content"][0]["image_url"]["url"]
        assert base64.b64decode(url.removeprefix("data:image/png;base64,")) == picture  # the request as it was sent
    assert len(list((run_dir / "attachments").iterdir())) == 5

    shards = [result_files(tmp_path / f"s{i}")[0].parent for i in range(2)]
    proc = run_harness("merge", *map(str, shards), "--out", str(tmp_path / "merged"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    merged = [json.loads(x) for x in (tmp_path / "merged" / "samples.jsonl").read_text().splitlines()]
    assert [s["messages"] for s in merged] == [s["messages"] for s in samples]
    assert sorted(p.name for p in (tmp_path / "merged" / "attachments").iterdir()) == sorted(
        p.name for p in (run_dir / "attachments").iterdir()
    )
