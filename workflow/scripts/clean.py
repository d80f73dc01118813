"""Clean stage: one study table per analysis and variant, the exclusion log and the missing cells; and, under the
main reading, every confirmed or candidate member's usable rows, reasons and missing cells (for the forest plots'
and worksheets' members not pooled)."""

from pathlib import Path

import pandas as pd

from ketamine_ma.ledger.tables import read_tables
from ketamine_ma.ledger.vocabulary import TABLES
from ketamine_ma.stages import io, steps


def main(smk):
    spec, review = smk.params.spec, smk.params.review
    method = {"method": smk.params.method} if smk.params.method else {}
    spec = {**spec, "analyses": {k: {**spec["analyses"][k], **method} for k in smk.params.outcomes}}
    if spec["source"] in ("rm5", "table"):
        studies = pd.read_csv(smk.input.conformance_studies, keep_default_na=False, na_values=[""],
                              dtype={"analysis_id": str})
        tables = steps.conformance_tables(studies.fillna({"analysis_id": ""}), spec)
        out = {(v, k): t for v in smk.params.variants for k, t in tables.items()}
        excl = pd.DataFrame(columns=["review", "analysis", "trial_id", "membership", "reason"])
        miss = pd.DataFrame(columns=["review", "analysis", "trial_id", "timepoint", "arm", "statistic"])
        members = steps.conformance_members(tables)
    else:
        steps.verify_checksums(smk.input.checksums)
        ledger = read_tables(dict(zip(TABLES, smk.input.ledger, strict=True)))
        ledger["risk_of_bias"] = pd.read_csv(smk.input.risk_of_bias)
        out, excl, miss = steps.clean(ledger, review, spec, smk.params.variants)
        members = steps.members(ledger, review, spec, smk.params.variants["main"])
    for (variant, key), t in out.items():
        io.write_csv(t, smk.params.tables[variant][key])
    io.write_csv(excl, smk.output.exclusions)
    io.write_csv(miss, smk.output.missing)
    tables_of, member_excl, member_miss = members
    for key, path in smk.params.members.items():
        io.write_csv(tables_of[key], path)
    io.write_csv(member_excl, smk.output.member_exclusions)
    io.write_csv(member_miss, smk.output.member_missing)
    Path(smk.log[0]).write_text(
        "".join(f"{v}/{k}: {len(t)} usable trial(s)\n" for (v, k), t in sorted(out.items()))
    )


io.run(main, snakemake)  # noqa: F821
