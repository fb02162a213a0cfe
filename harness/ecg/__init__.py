"""The ECG input layer: read records, preprocess them and present them to models.

Import-light: numpy only. wfdb, scipy, NeuroKit2 and matplotlib load when first used.

    from harness.ecg import read_record, locate_record, present
    ecg = read_record(locate_record(data_dir, "ptbxl_img/06000"))
    parts = present(ecg, "image")          # OpenAI chat content parts
"""

from harness.ecg.locate import DEFAULT_ROOTS, locate_record, ptbxl_ecg_id
from harness.ecg.preprocess import HEARTAGENT_FS, clean, resample
from harness.ecg.present import MODALITIES, present
from harness.ecg.record import (
    ECG,
    STANDARD_LEADS,
    ECGRecordError,
    ECGRecordNotFound,
    canonical_lead,
    read_record,
)

__all__ = [
    "DEFAULT_ROOTS",
    "ECG",
    "ECGRecordError",
    "ECGRecordNotFound",
    "HEARTAGENT_FS",
    "MODALITIES",
    "STANDARD_LEADS",
    "canonical_lead",
    "clean",
    "locate_record",
    "present",
    "ptbxl_ecg_id",
    "read_record",
    "resample",
]
