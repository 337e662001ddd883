# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX survey specs: the checks AWX's API makes when a survey is posted
(``JobTemplateSurveySpec._validate_spec_data`` in awx/api/views), the checks it makes on the
answers at launch, and the extra vars a launch with answers produces. Used by the awx_config
role (before anything is sent to AWX) and by the tests that run a job as AWX would.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
         "integer": int, "float": float}
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _choices(q):
    c = q.get("choices")
    if isinstance(c, str):
        return [x for x in c.splitlines() if x.strip()]
    return list(c or [])


def spec_errors(survey):
    """Problems AWX would refuse the survey spec for (a list of strings, empty when valid)."""
    errors = []
    if not isinstance(survey, dict):
        return ["the survey spec is not a mapping"]
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if field not in survey:
            errors.append("field %r is missing from the survey spec" % field)
        elif not isinstance(survey[field], kind):
            errors.append("field %r must be a %s" % (field, kind.__name__))
    if isinstance(survey.get("spec"), list) and not survey["spec"]:
        errors.append("'spec' has no question")
    if errors:
        return errors
    seen = set()
    for idx, q in enumerate(survey["spec"]):
        where = "question %d" % idx
        if not isinstance(q, dict):
            errors.append("%s is not a mapping" % where)
            continue
        bad = False
        for field in ("type", "question_name", "variable", "required"):
            kind = bool if field == "required" else str
            if field not in q:
                errors.append("%s: %r is missing" % (where, field))
                bad = True
            elif not isinstance(q[field], kind):
                errors.append("%s: %r must be a %s" % (where, field, kind.__name__))
                bad = True
        if bad:
            continue
        where = "question %d (%s)" % (idx, q["variable"])
        if not _VARIABLE.match(q["variable"]):
            errors.append("%s: variable is not a valid name" % where)
        if q["variable"] in seen:
            errors.append("%s: variable appears twice" % where)
        seen.add(q["variable"])
        qtype = q["type"]
        if qtype not in TYPES:
            errors.append("%s: type %r is not one of %s" % (where, qtype, ", ".join(sorted(TYPES))))
            continue
        default = q.get("default", "")
        if default != "" and default is not None:
            kind = TYPES[qtype]
            ok = isinstance(default, kind) and not isinstance(default, bool)
            if qtype == "float" and isinstance(default, int) and not isinstance(default, bool):
                ok = False  # AWX's isinstance(default, float) refuses an int default
            if qtype == "multiselect" and isinstance(default, list):
                ok = True
            if not ok:
                errors.append("%s: default %r must be a %s" % (where, default, kind.__name__))
        for key in ("min", "max"):
            if q.get(key) is not None and (not isinstance(q[key], int) or isinstance(q[key], bool)):
                errors.append("%s: %s must be an integer" % (where, key))
        if qtype in ("integer", "float") and default not in ("", None) and isinstance(default, (int, float)):
            if isinstance(q.get("min"), int) and default < q["min"]:
                errors.append("%s: default %r is below min %d" % (where, default, q["min"]))
            if isinstance(q.get("max"), int) and default > q["max"]:
                errors.append("%s: default %r is above max %d" % (where, default, q["max"]))
        if qtype in ("multiplechoice", "multiselect"):
            if "choices" not in q:
                errors.append("%s: type %s must list choices" % (where, qtype))
                continue
            choices = _choices(q)
            if not choices:
                errors.append("%s: choices are empty" % where)
            if not all(isinstance(c, str) for c in choices):
                errors.append("%s: every choice must be a string" % where)
            if "default" in q and q["default"] not in ("", None):
                defaults = q["default"].splitlines() if isinstance(q["default"], str) else list(q["default"])
                defaults = [d for d in defaults if str(d).strip()]
                if qtype == "multiplechoice" and len(defaults) > 1:
                    errors.append("%s: a multiple choice question has one default" % where)
                if any(d not in choices for d in defaults):
                    errors.append("%s: default %r is not one of the choices %s" % (where, q["default"], choices))
        if isinstance(default, str) and default.startswith("$encrypted$"):
            errors.append("%s: $encrypted$ is reserved" % where)
    return errors


def answer_errors(survey, answers):
    """Problems AWX would refuse the launch's answers for."""
    errors = []
    for q in survey.get("spec", []):
        var = q["variable"]
        if var not in answers:
            if q.get("required") and q.get("default") in (None, ""):
                errors.append("%s: an answer is required" % var)
            continue
        value = answers[var]
        qtype = q["type"]
        if qtype in ("text", "textarea", "password"):
            if not isinstance(value, str):
                errors.append("%s: %r is not text" % (var, value))
                continue
            if isinstance(q.get("min"), int) and len(value) < q["min"]:
                errors.append("%s: shorter than %d" % (var, q["min"]))
            if isinstance(q.get("max"), int) and len(value) > q["max"]:
                errors.append("%s: longer than %d" % (var, q["max"]))
        elif qtype in ("integer", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (qtype == "integer" and not isinstance(value, int)):
                errors.append("%s: %r is not a%s" % (var, value, "n integer" if qtype == "integer" else " number"))
                continue
            if isinstance(q.get("min"), int) and value < q["min"]:
                errors.append("%s: %r is below %d" % (var, value, q["min"]))
            if isinstance(q.get("max"), int) and value > q["max"]:
                errors.append("%s: %r is above %d" % (var, value, q["max"]))
        elif qtype == "multiplechoice":
            if value not in _choices(q):
                errors.append("%s: %r is not one of %s" % (var, value, _choices(q)))
        elif qtype == "multiselect":
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in _choices(q)]
            if bad:
                errors.append("%s: %r not among %s" % (var, bad, _choices(q)))
    unknown = sorted(set(answers) - set(q["variable"] for q in survey.get("spec", [])))
    if unknown:
        errors.append("no question for %s" % ", ".join(unknown))
    return errors


def launch_extra_vars(template_extra_vars, survey, answers):
    """The extra vars of a launch: the template's, then each question's default, then answers."""
    errors = answer_errors(survey, answers)
    if errors:
        raise ValueError("; ".join(errors))
    out = dict(template_extra_vars or {})
    for q in survey.get("spec", []):
        if q.get("default") not in (None, ""):
            out[q["variable"]] = q["default"]
    out.update(answers)
    return out
