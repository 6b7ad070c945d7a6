"""The lesson of each step, said with this run's numbers (as an instructor would)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fitbench.curriculum._numbers import StepNumbers, versus

Numbers = dict[str, StepNumbers]
Lesson = Callable[[Numbers, list[Any], dict[str, Any]], str]


def lesson(step_id: str, numbers: Numbers, findings: list[Any], record: dict[str, Any]) -> str:
    """The lesson text; a plain statement of the scores when a step it compares with is missing."""
    if step_id == "try10-cross-validation":
        return _cross_validation(record)
    if step_id == "try11-tuning":
        return _tuning(record)
    me = numbers.get(step_id)
    if me is None:
        return "No scores: this experiment did not finish."
    try:
        return LESSONS[step_id](numbers, findings, record)
    except KeyError:  # a step it compares with was not run (--only)
        return f"Validation accuracy {me.val:.3f}, training accuracy {me.train:.3f}."


def _overfit(findings: list[Any]) -> str:
    for finding in findings:
        if finding.code == "overfitting":
            return f"validation loss rose from epoch {finding.numbers['began_epoch']}: overfitting"
    return "no overfitting was detected this time"


def _small(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me = n["try01-small-data"]
    return (f"Small data: training accuracy {me.train:.3f}, validation {me.val:.3f}; {_overfit(f)}. "
            f"With {me.val_n:,} validation images every score is noisy (+/- {me.noise():.3f}).")


def _more(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, small = n["try02-more-data"], n["try01-small-data"]
    return (f"More data: validation accuracy {me.val:.3f} against {small.val:.3f} with 1,000 images "
            f"({versus(me, small)}); the train/validation gap went from {small.gap:.3f} to {me.gap:.3f}; {_overfit(f)}.")


def _flip(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, small = n["try03-flip-rotation"], n["try01-small-data"]
    return (f"Flip + rotation on small data: validation {me.val:.3f} against {small.val:.3f} without augmentation "
            f"({versus(me, small)}); gap {me.gap:.3f} against {small.gap:.3f}.")


def _rotation(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, flip = n["try03b-rotation"], n["try03-flip-rotation"]
    order = "above" if me.val > flip.val else "not above"
    return (f"Rotation alone: validation {me.val:.3f}, {order} flip + rotation ({flip.val:.3f}; {versus(me, flip)}). "
            "A flipped digit is often another digit or none: augment only in ways that keep the label true.")


def _smaller(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, big = n["try04-smaller-model"], n["try03b-rotation"]
    less = "less" if me.gap < big.gap else "not less"
    return (f"Smaller model ({me.parameters:,} parameters against {big.parameters:,}): validation {me.val:.3f} "
            f"against {big.val:.3f} ({versus(me, big)}); gap {me.gap:.3f} against {big.gap:.3f}: {less} overfitting. "
            "Prefer the smaller model when scores are close.")


def _early(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me = n["try05-early-stopping"]
    best = f", kept epoch {me.best_epoch:.0f}" if me.best_epoch is not None else ""
    if me.stopped_early:
        ending = "Training stopped where validation stopped improving."
    else:
        ending = (f"Early stopping never triggered: validation was still improving within the patience when "
                  f"the {me.epochs_run:.0f} epochs ran out, so more epochs may help.")
    return f"Early stopping: trained {me.epochs_run:.0f} epochs{best}; validation {me.val:.3f}, gap {me.gap:.3f}. {ending}"


def _dropout_02(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, plain = n["try06-dropout-0.2"], n["try02-more-data"]
    return (f"Dropout 0.2: validation {me.val:.3f}, gap {me.gap:.3f}, against gap {plain.gap:.3f} for the same "
            f"network without dropout or early stopping (try 2; {versus(me, plain)}).")


def _dropout_05(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, mild = n["try06-dropout-0.5"], n["try06-dropout-0.2"]
    return (f"Dropout 0.5: validation {me.val:.3f} against {mild.val:.3f} with 0.2 ({versus(me, mild)}); "
            f"gap {me.gap:.3f} against {mild.gap:.3f}. Change one thing at a time: only the rate moved.")


def _l2(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, dropout = n["try06-l2"], n["try06-dropout-0.2"]
    return (f"L2 penalty: validation {me.val:.3f}, gap {me.gap:.3f}, against dropout 0.2's {dropout.val:.3f} "
            f"({versus(me, dropout)}).")


def _rescaling(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, outside = n["try07-rescaling"], n["try06-dropout-0.2"]
    return (f"Rescaling inside the model: validation {me.val:.3f} against {outside.val:.3f} for the same network fed "
            f"pixels scaled outside ({versus(me, outside)}): the model now takes raw images, and no split can be "
            "left unscaled by mistake.")


def _functional(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, sequential = n["try08-functional"], n["try05-early-stopping"]
    return (f"Functional API: {me.parameters:,} parameters, as the Sequential small model; validation {me.val:.3f} "
            f"against {sequential.val:.3f} ({versus(me, sequential)}). Same network, another way to write it.")


def _bypass(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, small = n["try08-bypass"], n["try08-functional"]
    return (f"Bypass network: {me.parameters:,} parameters ({me.parameters / small.parameters:.0f}x the small "
            f"model's) for validation {me.val:.3f} against {small.val:.3f} ({versus(me, small)}), at "
            f"{me.seconds_per_epoch:.1f} s per epoch. Prefer the smaller model when scores are close.")


def _subclass(n: Numbers, f: list[Any], r: dict[str, Any]) -> str:
    me, functional = n["try09-subclass"], n["try08-functional"]
    return (f"Model subclassing: {me.parameters:,} parameters, validation {me.val:.3f} against the Functional "
            f"version's {functional.val:.3f} ({versus(me, functional)}): trained like any other model.")


def _cross_validation(record: dict[str, Any]) -> str:
    cv = record.get("crossval")
    if not cv:
        return "No scores: cross-validation did not finish."
    single = sum(cv["test_single_accuracy"]) / len(cv["test_single_accuracy"])
    return (f"{cv['folds']}-fold cross-validation: validation accuracy {cv['mean']:.3f} +/- {cv['sd']:.3f} over the "
            f"folds; on test, the vote of the {cv['folds']} models scores {cv['vote_accuracy']:.3f} against "
            f"{single:.3f} for one model on average.")


def _tuning(record: dict[str, Any]) -> str:
    tuning = record.get("tuning")
    if not tuning or tuning.get("best_trial") is None:
        return "No scores: the tuning study has no finished trial."
    test = tuning.get("test") or {}
    test_text = f"; its test accuracy, read once for this chosen model: {test['accuracy']:.3f}" if "accuracy" in test else ""
    return (f"Tuning: the best of {tuning['trials']} trials (#{tuning['best_trial']}) has "
            f"{_params(tuning['best_params'])}, validation macro F1 {tuning['best_value']:.3f}{test_text}. "
            "Trials were scored on validation, never on test.")


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{key} = {value}" for key, value in params.items()) or "no parameters"


LESSONS: dict[str, Lesson] = {
    "try01-small-data": _small, "try02-more-data": _more, "try03-flip-rotation": _flip,
    "try03b-rotation": _rotation, "try04-smaller-model": _smaller, "try05-early-stopping": _early,
    "try06-dropout-0.2": _dropout_02, "try06-dropout-0.5": _dropout_05, "try06-l2": _l2,
    "try07-rescaling": _rescaling, "try08-functional": _functional, "try08-bypass": _bypass,
    "try09-subclass": _subclass,
}
