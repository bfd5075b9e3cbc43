"""Install deblurkit: ``pip install -e .`` (add ``[tests]`` for pytest).

A wheel (``pip wheel .``, ``pip install .``) carries ``configs/`` and
``tools/`` inside the package, in ``deblurkit/.mim/`` as OpenMMLab packages
do, so that configs are found by name and the ``deblurkit`` command runs the
tools; an editable install uses the checkout's folders instead.
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt``."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith(('#', '-'))
        ]


def read_version():
    scope = {}
    with open(osp.join(HERE, 'deblurkit', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


#: Folders of the checkout shipped in deblurkit/.mim, and the files kept.
MIM_FOLDERS = ('configs', 'tools')
MIM_SUFFIXES = ('.py', '.sh', '.md', '.yml')


class BuildWithMim(build_py):
    """build_py that also copies :data:`MIM_FOLDERS` into the built
    package's ``.mim`` folder (never into the source tree)."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # deblurkit.shipped finds the checkout's folders
        mim = osp.join(self.build_lib, 'deblurkit', '.mim')
        if osp.isdir(mim):
            shutil.rmtree(mim)
        for folder in MIM_FOLDERS:
            for root, dirs, files in os.walk(osp.join(HERE, folder)):
                dirs[:] = sorted(d for d in dirs if d != '__pycache__')
                target = osp.join(mim, osp.relpath(root, HERE))
                for name in sorted(files):
                    if name.endswith(MIM_SUFFIXES):
                        os.makedirs(target, exist_ok=True)
                        self.copy_file(osp.join(root, name),
                                       osp.join(target, name))


setup(
    name='deblurkit',
    version=read_version(),
    description='A modular toolbox for motion deblurring: DeblurGAN-v2 '
    'on mmengine',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=('deblurkit', 'deblurkit.*')),
    cmdclass={'build_py': BuildWithMim},
    entry_points={
        'console_scripts': ['deblurkit = deblurkit.commands:main'],
    },
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'onnx': read_requirements('optional'),
        'metrics': read_requirements('metrics'),
        'video': read_requirements('video'),
        'tensorboard': read_requirements('tensorboard'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
