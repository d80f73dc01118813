"""Ledger coverage, the exact cells still missing, and the conservation check: every ledger row is pooled or
excluded with a reason (results/ledger/exclusions.csv), or the run fails."""

from pathlib import Path

import pandas as pd

from ketamine_ma.ledger import conservation
from ketamine_ma.ledger.tables import read_tables
from ketamine_ma.ledger.vocabulary import TABLES
from ketamine_ma.stages import io, steps


def main(smk):
    ledger = read_tables(dict(zip(TABLES, smk.input.ledger, strict=True)))
    trial_excl = pd.concat([pd.read_csv(f) for f in smk.input.exclusions])
    miss = pd.concat([pd.read_csv(f) for f in smk.input.missing])
    cov = steps.coverage(ledger, ledger["published"], smk.params.specs, trial_excl, pd.read_csv(smk.input.pooled))
    cited = {r: ({t: pd.read_csv(f) for t, f in c["ledger"].items()},
                 {o: pd.read_csv(f) for o, f in c["tables"].items()}) for r, c in smk.params.cited.items()}
    conservation.check_citations(cited, smk.params.policy)
    used = {i for _, tables in cited.values() for t in tables.values() for ids in t.extract_ids.dropna()
            for i in ids.split(";")}
    x = ledger["extraction"]
    if not smk.params.specs:
        x = x.iloc[0:0]
    fates = conservation.row_fates(x, ledger["membership"], smk.params.specs, smk.params.policy, used, trial_excl)
    conservation.check(x, used & set(x.extract_id), fates, ledger["membership"], smk.params.specs,
                       smk.params.policy, trial_excl)
    io.write_csv(cov, smk.output.coverage)
    io.write_csv(miss, smk.output.missing)
    io.write_csv(fates, smk.output.exclusions)
    io.write_csv(trial_excl, smk.output.trial_exclusions)
    Path(smk.log[0]).write_text(f"{len(x)} ledger rows: {len(used & set(x.extract_id))} pooled, {len(fates)} "
                                f"excluded with a reason; {len(miss)} missing cells\n")


io.run(main, snakemake)  # noqa: F821
