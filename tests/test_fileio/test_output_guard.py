"""check_output_path and OutputFolder: outputs never land on inputs."""
import os

import pytest

from deblurkit.fileio import (MANIFEST_NAME, OutputFolder, OutputPathError,
                              check_output_path)


def test_output_is_inside_or_around_an_input(tmp_path):
    data = tmp_path / 'data'
    (data / 'blur').mkdir(parents=True)
    os.symlink(data / 'blur', tmp_path / 'link')
    inputs = [(str(data / 'blur'), 'the blurred folder')]
    for out, word in ((data / 'blur', ' is '), (tmp_path / 'link', ' is '),
                      (data / 'blur' / 'x', 'lies inside'),
                      (data, 'contains')):
        with pytest.raises(OutputPathError, match=word):
            check_output_path(str(out), inputs, '--save-images')
    check_output_path(str(tmp_path / 'elsewhere'), inputs)
    check_output_path(str(data / 'blur' / 'x'), inputs, allow_inside=True)
    check_output_path(str(data), inputs, allow_around=True)
    with pytest.raises(OutputPathError):
        check_output_path(str(tmp_path / 'link'), inputs, allow_inside=True,
                          allow_around=True)


def test_only_files_in_the_manifest_are_replaced_or_removed(tmp_path):
    out = tmp_path / 'out'
    (out / 'sub').mkdir(parents=True)
    (out / 'mine.png').write_bytes(b'user')
    folder = OutputFolder(str(out), inputs=[str(tmp_path / 'in.png')])
    with pytest.raises(OutputPathError, match='no deblurkit tool wrote'):
        folder.claim(str(out / 'mine.png'))
    with pytest.raises(OutputPathError, match='overwrite an input'):
        OutputFolder(str(tmp_path), [str(tmp_path / 'in.png')]).claim(
            str(tmp_path / 'in.png'))
    path = str(out / 'sub' / 'a.png')
    folder.claim(path, 'x.png')
    with pytest.raises(OutputPathError, match='also the output of x.png'):
        folder.claim(path, 'y.png')
    folder.record(path)
    (out / 'sub' / 'a.png').write_bytes(b'ours')
    (out / 'sub' / '.a.png.k2j4.tmp').write_bytes(b'half')
    # A later run may replace it: the manifest lists it.
    again = OutputFolder(str(out))
    assert again.owns(path) and not again.owns(str(out / 'mine.png'))
    again.claim(path)
    assert again.remove_owned() == 2
    assert sorted(os.listdir(out)) == ['mine.png']
    assert (out / 'mine.png').read_bytes() == b'user'
    assert not (out / MANIFEST_NAME).exists()
