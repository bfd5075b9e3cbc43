"""tools/analysis_tools/tile_memory.py: each run in a worker process."""
from tools.analysis_tools import tile_memory

TINY = 'tests/data/configs/deblurganv2_tiny.py'


def test_a_run_reports_its_memory_and_a_failure_its_reason(repo_root):
    args = tile_memory.parse_args(['--config', TINY, '--height', '64',
                                   '--width', '96', '--tile', '64',
                                   '--tile-overlap', '16'])
    row = tile_memory.measure(args, 'tiled')
    assert row['mode'] == 'tiled'
    assert 0 < row['before_mb'] <= row['peak_mb'] and row['seconds'] > 0
    args.config = 'no/such/config.py'
    failed = tile_memory.measure(args, 'whole')
    assert failed['mode'] == 'whole' and 'error' in failed
    assert 'no/such/config.py' in failed['error'][-1]
