"""A training run's curves from its ``scalars.json``: one axis per loss,
one per validation metric.

mmengine's ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/
scalars.json``, one JSON record per line: training records (the logged
losses, learning rates and timings, with ``step`` the iteration) and
validation records (the metrics, with ``step`` the iteration since
deblurkit's ``DeblurLoggerHook``; 0 in runs logged by mmengine's own
hook, whose validation iterations are then recovered from the run's
``val_interval``). A resumed run writes a new timestamp folder; the folders
of one work dir are read in order and joined.
"""
import glob
import json
import math
import os.path as osp

from mmengine.config import Config

#: What each logged loss is (docs/user_guides/train_test.md).
LOSS_DESCRIPTIONS = {
    'loss_d': 'discriminator, x adv_lambda (minimised)',
    'loss_d_unweighted': 'discriminator, unweighted',
    'loss_g_adv': 'generator adversarial, unweighted',
    'loss_g_adv_weighted': 'generator adversarial, x adv_lambda',
    'loss_content': "content (the config's content_loss)",
    'loss_g': 'generator total = content + adversarial x adv_lambda',
}
#: Keys of a record that are not curves.
NOT_CURVES = ('step', 'iter', 'epoch', 'time', 'data_time', 'memory')


class NoScalarsError(ValueError):
    """No training records where a run was expected."""


def scalar_files(run_dir):
    """The ``scalars.json`` files of ``run_dir``: the file itself, a
    ``vis_data`` folder, a timestamp folder, or a work dir (all its
    timestamp folders, oldest first)."""
    if osp.isfile(run_dir):
        return [run_dir]
    for pattern in ('scalars.json', osp.join('vis_data', 'scalars.json'),
                    osp.join('*', 'vis_data', 'scalars.json')):
        found = sorted(glob.glob(osp.join(glob.escape(run_dir), pattern)))
        if found:
            return found
    return []


def _val_interval(scalars_path):
    config = osp.join(osp.dirname(scalars_path), 'config.py')
    try:
        cfg = Config.fromfile(config)
        return int(cfg.train_cfg.val_interval)
    except Exception:  # noqa: BLE001  no config, or not an iteration loop
        return None


def _read_file(path):
    train, val = [], []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise NoScalarsError(f'{path}, line {number}: not JSON; '
                                     'is it a scalars.json of mmengine?')
            if any(k.startswith('loss') for k in record):
                train.append(record)
            elif 'step' in record:
                val.append(record)
    if val and train and all(r['step'] == 0 for r in val):
        # Logged at "epoch 0": the validations ran every val_interval
        # iterations after the run's start.
        interval = _val_interval(path)
        if interval:
            first = (train[0]['step'] - 1) // interval + 1
            for k, record in enumerate(val):
                record['step'] = (first + k) * interval
    return train, val


def read_scalars(run_dir):
    """``(train, val)`` records of a run, each sorted by ``step`` (a step
    logged again by a later, resumed run keeps the later value).

    Raises:
        NoScalarsError: ``run_dir`` holds no ``scalars.json`` with
            training records.
    """
    files = scalar_files(run_dir)
    if not files:
        raise NoScalarsError(f'{run_dir}: no scalars.json (expected '
                             '<work_dir>/<timestamp>/vis_data/scalars.json)')
    train, val = {}, {}
    for path in files:
        t, v = _read_file(path)
        if not t:  # e.g. a tools/test.py run in the same work dir
            continue
        train.update((r['step'], r) for r in t)
        val.update((r['step'], r) for r in v)
    if not train:
        raise NoScalarsError(f'{run_dir}: no training losses in '
                             f'{", ".join(files)}')
    return ([train[s] for s in sorted(train)], [val[s] for s in sorted(val)])


def curve_names(records):
    """The plotted keys of ``records`` in first-seen order (learning rates
    and timings left out)."""
    names = []
    for record in records:
        for key, value in record.items():
            if (key not in names and key not in NOT_CURVES
                    and not key.endswith('lr')
                    and isinstance(value, (int, float))):
                names.append(key)
    return names


def _points(records, key):
    return [(r['step'], r[key]) for r in records
            if key in r and math.isfinite(r[key])]


def plot_curves(path, train, val, baselines=None, title=None, columns=4):
    """Draw each loss of ``train`` and each metric of ``val`` on its own
    axis, against the iteration, into the PNG ``path`` (written
    atomically).

    Args:
        path (str): The PNG to write.
        train, val (list[dict]): Records as :func:`read_scalars` returns.
        baselines (dict, optional): ``{metric: value}`` drawn as a dashed
            line on the metric's axis, e.g. the blurred inputs' PSNR.
        title (str, optional): The figure's title.
        columns (int): Axes per row.

    Returns:
        list[str]: The names drawn, in order.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from deblurkit.fileio import atomic_output
    losses = [k for k in curve_names(train) if k.startswith('loss')]
    metrics = curve_names(val)
    names = losses + metrics
    rows = max(1, math.ceil(len(names) / columns))
    fig, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.1 * rows), squeeze=False)
    axes = axes.ravel()
    last_step = max(r['step'] for r in train + val)
    for ax, name in zip(axes, names):
        is_loss = name in losses
        points = _points(train if is_loss else val, name)
        if points:
            steps, values = zip(*points)
            ax.plot(steps, values, '-' if is_loss else 'o-',
                    color='tab:blue' if is_loss else 'tab:green',
                    ms=4, label='validation' if not is_loss else None)
            last = f'last {values[-1]:.4g}'
        else:
            last = 'no finite value'
        baseline = (baselines or {}).get(name)
        if baseline is not None:
            ax.axhline(baseline, color='gray', ls='--',
                       label=f'blurred input {baseline:.4g}')
        if not is_loss:
            ax.legend(fontsize=8)
        what = LOSS_DESCRIPTIONS.get(name, 'validation' if not is_loss else '')
        ax.set_title(f'{name}   ({last})\n{what}', fontsize=9)
        ax.set_xlim(0, last_step * 1.02)
        ax.set_xlabel('iteration', fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        ax.axis('off')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=100, format='png')
    plt.close(fig)
    return names
