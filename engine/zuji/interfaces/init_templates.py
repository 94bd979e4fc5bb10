"""The files `zuji init` writes into a new committee repository.

The sample PCR is deliberately small and is not one of the bundled PCRs: quicklime from the
calcination of limestone, the kiln's fuels (coal weighed, natural gas metered by volume, in one
list) and its electricity, every factor taken from the bundled datasets so that a new repository
works before it holds a dataset of its own. Its worked case is
computed by hand in the case file itself.
"""

from __future__ import annotations

CONFIG = """\
# The library this repository holds: Zuji finds this file from any folder inside it.
[library]
name = "{name}"
pcr = "pcr"                 # rule files: pcr/<id>/<id>.pcr, shared modules in other folders
standards = "standards"     # the committee's own datasets (factors/) and GWP sets (gwp/)
bundled_gwp = true          # false: use only the GWP sets under standards/gwp
bundled_modules = true      # false: `use` finds modules in this repository only
"""

SAMPLE_PCR = """\
# A sample PCR written by `zuji init`: replace it with your own. Quicklime (CaO) burned from
# limestone; the CO2 of calcination by the output method (IPCC 2006 Vol.3 Ch.2, lime production,
# Tier 2: CaO content of the product x the stoichiometric factor), the CO2 of the kiln's fuels
# and of its electricity. The fuels are one list although coal is weighed and natural gas is
# metered by volume: each item's amount is in the unit its factor is per (the `as` below).
pcr quicklime {
  name en "Quicklime (sample)" zh "生石灰（示例）"
  version 0.1.0
  status draft
  gwp AR6
  unit 1 t of quicklime
  boundary cradle_to_gate: calcining
  cutoff per_flow 1 %, total 5 %

  input quicklime : t "Quicklime produced" zh "生石灰产量" > 0
  input cao_content : % "CaO content, measured" zh "氧化钙含量" > 0 <= 100
  input power : MWh "Electricity used by the kiln and mills" zh "窑和磨机用电量" >= 0
  input kiln_fuels : list "Fuels burned in the kiln" zh "窑用燃料" {
    fuel : one of raw_coal, coke, natural_gas
    amount : t or Nm3 as fuel_co2[fuel] "Amount burned (coal in t, gas in Nm3)" zh "消耗量" >= 0
  }

  factor cao_co2 = cement_process.calcination.cao
  factor grid = cn_grid.national
  factor fuel_co2 = cn_fuels.co2_per_mass.* "Per t of coal and coke, per Nm3 of natural gas"

  stage calcining "Calcining" {
    calcination : CO2 = quicklime * cao_content * cao_co2
    fuels : CO2 = sum over kiln_fuels (amount * fuel_co2[fuel])
    electricity : CO2 = power * grid
  }

  changelog {
    0.1.0 {today} "Sample written by zuji init"
  }
}
"""

SAMPLE_CASE = """\
case: sample_kiln
title: "A lime plant of 10 000 t quicklime a year, 92 % CaO, 2023"
description: >-
  Figures chosen for the sample, not published plant data: 10 000 t quicklime at 92 % CaO, two
  kilns burning 800 t of raw coal and 30 万Nm3 (300 000 Nm3) of natural gas, and 300 MWh of
  electricity (30 kWh per t) in 2023.
tolerance: 0.01 %
inventory:
  pcr: quicklime
  company: "Example Lime Co. (invented example company)"
  reference_period: {start: 2023-01-01, end: 2023-12-31}
  inputs:
    quicklime: 10000 t
    cao_content: 92 %
    power: 300 MWh
    kiln_fuels:
      - {fuel: raw_coal, amount: 800 t}
      - {fuel: natural_gas, amount: 30 万Nm3}
expected:                # kg CO2e per declared unit (1 t quicklime), computed by hand below
  total: 955.008
  by_stage:
    calcining: 955.008
  lines:
    calcination: 722.2
    fuels: 216.89
    electricity: 15.918
calculation: |
  Factors:
    cement_process calcination.cao = 0.785 t CO2/t CaO (44.009 / 56.077, stoichiometry)
    cn_fuels co2_per_mass.raw_coal = 1.9003 t CO2/t; co2_per_mass.natural_gas = 2.1622 kg
      CO2/Nm3 (each derived there from the Chinese net calorific value, carbon content and
      oxidation rate)
    cn_grid national, value from 2023-01-01 = 0.5306 kg CO2/kWh = 0.5306 t CO2/MWh (MEE/NBS)
  calcination = 10 000 t x 0.92 x 0.785 = 7 222 t CO2 -> / 10 000 t = 0.7222 t/t = 722.2 kg/t
  fuels = 800 t x 1.9003 + 300 000 Nm3 x 2.1622 kg / 1 000 (kg per t)
        = 1 520.24 + 648.66 = 2 168.90 t CO2 -> / 10 000 t = 216.89 kg/t
  electricity = 300 MWh x 0.5306 = 159.18 t CO2 -> / 10 000 t = 15.918 kg/t
  total = 722.2 + 216.89 + 15.918 = 955.008 kg CO2e/t
"""

GITIGNORE = """\
# Written by `zuji docs` and `mkdocs build`: generated on every build, never committed.
.zuji/
site/
__pycache__/
"""

CI_SCRIPT = """\
#!/bin/sh
# Run by the committee's CI on every change: every rule file checks clean and every worked case
# gives its hand-computed figures. Needs the zuji command (pip install zuji).
set -eu
cd "$(dirname "$0")/.."
zuji check --strict
zuji test
"""

DATASET_README = """\
Put the committee's own factor datasets here (one YAML file per dataset, named by its id; the
format is the engine's factor-dataset schema). They are used beside the datasets bundled with
the engine; an id the engine already uses is an error, so give each dataset its own id.
"""

README_EN = """\
# {name}

Product Category Rules kept by this committee, executed by the Zuji engine.

- `pcr/<id>/<id>.pcr`: the rules; `pcr/<id>/cases/*.yaml`: worked cases computed by hand.
- `standards/factors/`: the committee's own factor datasets (the engine's bundled datasets, GWP
  sets and shared modules are available too; see `zuji.toml`).
- `ci/check.sh`: what CI runs (`zuji check --strict`, `zuji test`).

Everyday commands, from any folder inside this repository:

    zuji check                      # every rule file, and its cases' inventories
    zuji test                       # every worked case
    zuji list                       # the PCRs of this library
    zuji run quicklime -i inventory.yaml
    zuji history quicklime          # the versions in git
    zuji docs                       # the site; build it with the mkdocs command it prints

`pcr/quicklime` is a sample written by `zuji init`: replace it with your own rules.
"""

README_ZH = """\
# {name}

本委员会维护的产品种类规则（PCR），由 Zuji 引擎执行。

- `pcr/<id>/<id>.pcr`：规则；`pcr/<id>/cases/*.yaml`：手工计算的算例。
- `standards/factors/`：本委员会自己的排放因子数据集（引擎自带的数据集、GWP 值和共享模块同样可用，
  见 `zuji.toml`）。
- `ci/check.sh`：持续集成运行的检查（`zuji check --strict`、`zuji test`）。

常用命令（在本仓库内任意目录下运行）：

    zuji check                      # 检查全部规则文件及算例清单
    zuji test                       # 运行全部算例
    zuji list                       # 列出本库的 PCR
    zuji run quicklime -i inventory.yaml
    zuji history quicklime          # git 中的各个版本
    zuji docs                       # 生成文档站点，再按提示用 mkdocs 构建

`pcr/quicklime` 是 `zuji init` 写入的示例，请替换为你们自己的规则。
"""
