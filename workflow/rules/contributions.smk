# Contributions are never lost silently: before any job runs, a cell the last successful run merged that no
# contribution gives any more stops the run (until data/contrib/removed.csv confirms its removal); after a
# successful run, what the processed ledgers hold from the contributions is kept in data/contrib/merged.csv.
# Outside every job on purpose: Snakemake deletes a job's outputs before running it, and a failed run must not
# lose the record (see "Completing a review from the full text" in the README).


def check_nothing_lost():
    """Before any job runs: a cell the last run merged that no contribution gives any more stops the run, unless
    the user confirmed its removal (ketamine_ma.ledger.contrib.memory.lost_cells)."""
    folder = ROOT / config["contrib"]
    if not LEDGER_REVIEWS or not (folder / "merged.csv").exists():
        return
    # imported here: pandas, which a run without contributions never pays for
    from ketamine_ma.ledger.contrib import memory
    from ketamine_ma.ledger.vocabulary import LedgerError

    try:
        given = memory.given_cells(route.discover(folder))
        lost = memory.lost_cells(folder, given, LEDGER_REVIEWS)
        back = memory.revived(folder, given)
    except LedgerError as e:
        stop(e)
    if len(lost):
        stop(memory.lost_message(lost, config["contrib"]))
    if len(back):
        stop(memory.revived_message(back, config["contrib"]))


check_nothing_lost()


def remember_merged():
    """After a successful run: what the processed ledgers now hold from the contributions, kept in the
    contributions folder for the next run's check (see check_nothing_lost)."""
    import pandas as pd

    # a review whose log a failed run deleted keeps what the file says of it
    paths = {r: ROOT / f"{review_ledger(r)}/contributions.csv" for r in LEDGER_REVIEWS}
    logs = {
        r: pd.read_csv(p, dtype=str, keep_default_na=False)
        for r, p in paths.items()
        if p.exists()
    }
    folder = ROOT / config["contrib"]
    if not logs or not folder.is_dir():
        return
    from ketamine_ma.ledger.contrib import memory

    table = memory.remembered(list(logs.values()), folder, list(logs))
    path = folder / memory.MEMORY
    text = table.to_csv(index=False, lineterminator="\n")
    if table.empty and not path.exists():
        return
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
