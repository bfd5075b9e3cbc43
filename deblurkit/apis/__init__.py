from .init_model import init_model, load_generator_weights

__all__ = ['init_model', 'load_generator_weights']
