"""The reproduction report: published figures against our estimates."""

from pathlib import Path

import pandas as pd

from ketamine_ma.outputs.reproduction import reproduce
from ketamine_ma.stages import io


def main(smk):
    published = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in smk.input.published])
    published = published.replace({"": None})
    pooled = pd.read_csv(smk.input.pooled)
    excl = pd.concat([pd.read_csv(f) for f in smk.input.exclusions])
    miss = pd.concat([pd.read_csv(f) for f in smk.input.missing])
    subgroups = [pd.read_csv(path).assign(review=review, analysis=key)
                 for review, tables in smk.params.subgroups.items() for key, path in tables.items()]
    small = [pd.read_csv(path).assign(review=review, outcome=key)
             for review, tables in smk.params.small_study.items() for key, path in tables.items()]
    rep = reproduce(published, smk.params.specs, pooled, excl, miss, pd.concat(subgroups) if subgroups else None,
                    pd.concat(small) if small else None, smk.params.conventions)
    io.write_csv(rep, smk.output[0])
    Path(smk.log[0]).write_text(rep.status.value_counts().to_string() + "\n")


io.run(main, snakemake)  # noqa: F821
