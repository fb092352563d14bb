/**
 * linux (proposals.md 3): what the kernel decides with the PCI/IMS support
 * merged for v6.2 (tglx, "genirq, PCI/MSI: Support for per device MSI and
 * PCI/IMS"). A device may use IMS only when its parent MSI domain sets
 * MSI_FLAG_PCI_IMS: the x86 vector domain does not; the Intel
 * interrupt-remapping domain does, unless the IOMMU is virtual (caching mode
 * set), which gets the "vIR" domain without it. There is no paravirtual path,
 * so this policy never says `virtualized`.
 */
import type { Evidence } from '../evidence.js';
import { fired, type Outcome, type Policy } from '../policy.js';

function decide(ev: Evidence): Outcome {
  if (ev['dmar.present'].value !== true) {
    return fired('linux.1', 'no DMAR table: no Intel IOMMU, no interrupt remapping; the parent MSI domain is the x86 vector domain, which does not set MSI_FLAG_PCI_IMS',
      ['dmar.present'], 'none');
  }
  if (ev['flags.intrRemap'].value !== true) {
    return fired('linux.2', 'INTR_REMAP=0: Linux does not enable interrupt remapping (dmar_ir_support() is false), so the parent MSI domain is the x86 vector domain, without MSI_FLAG_PCI_IMS',
      ['flags.intrRemap'], 'none');
  }
  const cm = ev['iommu.cachingMode'].value;
  if (cm === true) {
    return fired('linux.3', 'caching mode set (cap_caching_mode(iommu->cap)): a virtual IOMMU, whose interrupt-remapping domain is the "vIR" variant without MSI_FLAG_PCI_IMS',
      ['flags.intrRemap', 'iommu.cachingMode'], 'none');
  }
  const state = cm === false ? 'clear' : 'unknown, taken as clear';
  return fired('linux.4', `INTR_REMAP=1 and caching mode ${state}: the Intel IR domain ("INTEL-IR") is the parent MSI domain and sets MSI_FLAG_PCI_IMS: native IMS`,
    ['flags.intrRemap', 'iommu.cachingMode'], 'native', {
      warnings: cm === 'unknown'
        ? ['Linux reads the caching-mode bit (bit 7) of the VT-d capability register, which no table holds; dmar assumed a physical IOMMU (caching mode clear): give --caching-mode on|off']
        : [],
    });
}

export const linux: Policy = {
  name: 'linux',
  summary: 'what Linux (v6.2 PCI/IMS) decides: MSI_FLAG_PCI_IMS on the parent MSI domain, i.e. the Intel IR domain of a physical IOMMU',
  proposed: false,
  ignores: ['cpu.hypervisor', 'flags.imsOptOut', 'descriptor'],
  decide,
};
