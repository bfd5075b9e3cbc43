"""Video input and output for deblurring.

- :mod:`.reader`: sources (a video file through FFmpeg's libraries with
  PyAV, or OpenCV without it; a folder of frames; a webcam);
- :mod:`.writer`: sinks (H.264 and other codecs with the audio copied, an
  OpenCV fallback, a folder of frames), all written under a temporary name
  and renamed when complete and checked;
- :mod:`.pipeline`: decoding, deblurring and encoding in overlapping
  threads with bounded queues, optionally with temporal smoothing;
- :mod:`.deflicker`: the brightness stabiliser that smoothing uses by
  default.

PyAV is optional (``pip install 'deblurkit[video]'``).
"""
from .deflicker import BrightnessStabilizer
from .pipeline import (SCENE_CUT_THRESHOLD, TEMPORAL_MODES, SceneCuts,
                       check_temporal_mode, run_pipeline)
from .reader import (DEFAULT_FPS, WEBCAM_PREFIX, VideoInputError,
                     open_source, pyav_available, sequence_files)
from .writer import (CODECS, CONTAINERS, DEFAULT_CODEC, DEFAULT_PRESET,
                     X264_PRESETS, VideoOptionError, VideoOutputError,
                     open_sink, resolve_codec)

OPENCV_FALLBACK_WARNING = (
    'PyAV (FFmpeg) is not installed, so videos go through OpenCV: MPEG-4 '
    'Part 2 instead of H.264, no audio, the rotation metadata and variable '
    "frame-rate time stamps lost. pip install 'deblurkit[video]' for all "
    'of them.')

__all__ = [
    'run_pipeline', 'SceneCuts', 'SCENE_CUT_THRESHOLD', 'TEMPORAL_MODES',
    'BrightnessStabilizer', 'check_temporal_mode', 'open_source',
    'open_sink', 'resolve_codec', 'pyav_available', 'sequence_files',
    'VideoInputError', 'VideoOutputError', 'VideoOptionError', 'CODECS',
    'CONTAINERS', 'DEFAULT_CODEC', 'DEFAULT_FPS', 'DEFAULT_PRESET',
    'OPENCV_FALLBACK_WARNING', 'WEBCAM_PREFIX', 'X264_PRESETS'
]
