"""Install deblurkit: ``pip install -e .`` (add ``[tests]`` for pytest)."""
import os.path as osp

from setuptools import find_packages, setup

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


setup(
    name='deblurkit',
    version=read_version(),
    description='A modular toolbox for motion deblurring: DeblurGAN-v2 '
    'on mmengine',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
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
