import pytest

from ansible_collections.investment.orchestration.plugins.module_utils import awx_survey as S

GOOD = {"name": "n", "description": "", "spec": [
    {"question_name": "Region", "variable": "region", "type": "multiplechoice", "required": True,
     "choices": ["korea", "seoul"], "default": "korea"},
    {"question_name": "Stage", "variable": "stage", "type": "integer", "required": True, "min": 1, "max": 3, "default": 1},
    {"question_name": "Tags", "variable": "tags", "type": "multiselect", "required": False, "choices": "a\nb\n", "default": "a\nb"},
    {"question_name": "Note", "variable": "note", "type": "text", "required": False, "min": 0, "max": 5},
]}


def test_good_spec():
    assert S.spec_errors(GOOD) == []


@pytest.mark.parametrize("change,text", [
    (lambda s: s.pop("description"), "'description' is missing"),
    (lambda s: s.update(spec=[]), "no question"),
    (lambda s: s["spec"][0].pop("required"), "'required' is missing"),
    (lambda s: s["spec"][0].update(required="yes"), "'required' must be a bool"),
    (lambda s: s["spec"][1].update(variable="region"), "appears twice"),
    (lambda s: s["spec"][1].update(variable="1x"), "not a valid name"),
    (lambda s: s["spec"][1].update(type="boolean"), "type 'boolean'"),
    (lambda s: s["spec"][1].update(default="1"), "must be a int"),
    (lambda s: s["spec"][1].update(default=5), "above max"),
    (lambda s: s["spec"][1].update(min=0.5), "min must be an integer"),
    (lambda s: s["spec"][0].pop("choices"), "must list choices"),
    (lambda s: s["spec"][0].update(default="mumbai"), "not one of the choices"),
    (lambda s: s["spec"][0].update(default="korea\nseoul"), "one default"),
    (lambda s: s["spec"][3].update(default="$encrypted$"), "reserved"),
])
def test_bad_specs(change, text):
    import copy
    spec = copy.deepcopy(GOOD)
    change(spec)
    errors = S.spec_errors(spec)
    assert any(text in e for e in errors), errors


def test_answers_and_extra_vars():
    assert S.answer_errors(GOOD, {"region": "seoul", "stage": 2, "tags": ["a"], "note": "hi"}) == []
    errs = S.answer_errors(GOOD, {"region": "mumbai", "stage": 4, "tags": ["c"], "note": "toolong", "x": 1})
    assert len(errs) == 5
    assert S.answer_errors(GOOD, {"stage": True}) == ["stage: True is not an integer"]
    assert S.launch_extra_vars({"a": 1, "stage": 9}, GOOD, {"region": "seoul"}) == {
        "a": 1, "region": "seoul", "stage": 1, "tags": "a\nb"}
    with pytest.raises(ValueError, match="region"):
        S.launch_extra_vars({}, GOOD, {"region": "x"})
