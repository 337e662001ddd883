# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""awx_survey_errors filter; the logic lives in module_utils/awx_survey.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.investment.orchestration.plugins.module_utils.awx_survey import spec_errors


def awx_survey_errors(survey):
    return spec_errors(survey)


class FilterModule(object):
    def filters(self):
        return {"awx_survey_errors": awx_survey_errors}
