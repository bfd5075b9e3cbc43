"""The test metrics of the blurred inputs: what a model has to beat."""
from mmengine.hooks import Hook

from deblurkit.registry import HOOKS


@HOOKS.register_module()
class InputBaselineHook(Hook):
    """Score each test image's blurred input against its sharp image with
    the test evaluator's metrics, in the same pass as the model's outputs.

    A fresh evaluator is built from ``cfg.test_evaluator``; each output data
    sample is handed to it with its ``input_img`` (the blurred image the
    model saw, cropped as ``pred_img`` is) in place of ``pred_img``. After
    the test, :attr:`metrics` holds ``{name: value}`` as the runner's test
    returns them, and :attr:`evaluator` the metrics with their per-image
    scores. A model whose data samples carry no ``input_img`` gets no
    baseline (a warning says so; :attr:`metrics` stays None).
    """

    priority = 'LOW'

    def __init__(self):
        self.evaluator = None
        self.metrics = None
        self._missing = False

    def before_test(self, runner):
        self.metrics, self._missing = None, False
        self.evaluator = runner.build_evaluator(runner.cfg.test_evaluator)
        # Metrics that need the dataset's meta (none of deblurkit's do).
        self.evaluator.dataset_meta = runner.test_evaluator.dataset_meta

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        if self._missing or self.evaluator is None:
            return
        samples = []
        for sample in outputs or []:
            fields = sample.to_dict() if hasattr(sample, 'to_dict') else \
                dict(sample)
            if fields.get('input_img') is None:
                self._missing = True
                runner.logger.warning(
                    'InputBaselineHook: the model outputs no input_img, so '
                    'the blurred inputs are not scored')
                return
            fields['pred_img'] = fields['input_img']
            samples.append(fields)
        self.evaluator.process(samples, data_batch)

    def after_test_epoch(self, runner, metrics=None):
        if self._missing or self.evaluator is None:
            return
        self.metrics = self.evaluator.evaluate(
            len(runner.test_dataloader.dataset))
