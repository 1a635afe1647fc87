"""CMMS data in and out: asset registers and work-order histories (IBM Maximo, SAP PM,
generic CSV/XLSX) into scenarios and life-distribution fits; plans back out as the
objects a CMMS imports.

Modules::

    tables     reading CSV/XLSX exports (BOM, separators, local dates), row problems
    mapping    column mappings: the Maximo, SAP PM and generic presets, mapping files
    assets     asset register -> the fleet of a scenario (merge, atomic write)
    history    work-order / failure history -> life records, current ages, fits
    benchmark  sites (or assets) against the fleet: likelihood-ratio tests
    exports    plan -> work orders, labour, materials, purchase requisitions (layer above
               planning; the rest sits just above reliability)
"""
