/**
 * What Linux decides (proposals.md 3): `linux-6.2` models the PCI/IMS support
 * merged for v6.2 (tglx, "genirq, PCI/MSI: Support for per device MSI and
 * PCI/IMS"), carried by kernels 6.2 to 6.9. A device may use IMS only when
 * its parent MSI domain sets MSI_FLAG_PCI_IMS: the x86 vector domain does
 * not; the Intel interrupt-remapping domain does, unless the IOMMU is virtual
 * (caching mode set), which gets the "vIR" domain without it. There is no
 * paravirtual path, so it never says `virtualized`.
 *
 * `linux-6.10`: Bjorn Helgaas's "PCI/MSI: Remove IMS (Interrupt Message
 * Store) support for now" (merged for 6.10) removed PCI/IMS with its VT-d,
 * AMD and x86 enablement, since no driver used it: always `none`.
 *
 * `linux` is not a policy of its own: it names one of them by kernel version
 * (linuxForKernel), and kernels before 6.2 never had PCI/IMS.
 */
import { SIGNALS } from '../signals.js';
import type { Evidence } from '../evidence.js';
import { fired, NO_DMAR, type Outcome, type Policy } from '../policy.js';

function decide62(ev: Evidence): Outcome {
  if (ev['dmar.present'].value !== true) {
    return fired(
      'linux-6.2.1',
      `${NO_DMAR}; no Intel IOMMU, no interrupt remapping: the parent MSI domain is the x86 vector domain, which does not set MSI_FLAG_PCI_IMS`,
      ['dmar.present'],
      'none',
    );
  }
  if (ev['dmar.linuxRejects'].value === true) {
    return fired(
      'linux-6.2.1',
      'a DMAR table Linux rejects is none to it: no Intel IOMMU, no interrupt remapping, so the parent MSI domain is the x86 vector domain, without MSI_FLAG_PCI_IMS',
      ['dmar.present', 'dmar.linuxRejects'],
      'none',
    );
  }
  if (ev['flags.intrRemap'].value !== true) {
    return fired(
      'linux-6.2.2',
      'INTR_REMAP=0: Linux does not enable interrupt remapping (dmar_ir_support() is false), so the parent MSI domain is the x86 vector domain, without MSI_FLAG_PCI_IMS',
      ['flags.intrRemap'],
      'none',
    );
  }
  const cm = ev['iommu.cachingMode'].value;
  if (cm === true) {
    return fired(
      'linux-6.2.3',
      'caching mode set (cap_caching_mode(iommu->cap)): a virtual IOMMU, whose interrupt-remapping domain is the "vIR" variant without MSI_FLAG_PCI_IMS',
      ['flags.intrRemap', 'iommu.cachingMode'],
      'none',
    );
  }
  const state = cm === false ? 'clear' : 'unknown, taken as clear';
  return fired(
    'linux-6.2.4',
    `INTR_REMAP=1 and caching mode ${state}: the Intel IR domain ("INTEL-IR") is the parent MSI domain and sets MSI_FLAG_PCI_IMS: native IMS`,
    ['flags.intrRemap', 'iommu.cachingMode'],
    'native',
    {
      warnings:
        cm === 'unknown'
          ? [
              'Linux reads the caching-mode bit (bit 7) of the VT-d capability register, which no table holds; dmar assumed a physical IOMMU (caching mode clear): give --caching-mode on|off',
            ]
          : [],
    },
  );
}

const NOT_READ = SIGNALS.map((x) => x.name).filter((n) => n !== 'iommu.cachingMode');

export const linux62: Policy = {
  name: 'linux-6.2',
  summary: 'what Linux 6.2 to 6.9 decide (PCI/IMS): MSI_FLAG_PCI_IMS on the parent MSI domain, i.e. the Intel IR domain of a physical IOMMU',
  proposed: false,
  ignores: [...NOT_READ, 'flags.imsOptOut', 'descriptor'],
  decide: decide62,
};

export const linux610: Policy = {
  name: 'linux-6.10',
  summary: 'what Linux 6.10 and later decide: PCI/IMS was removed again (no in-tree user), so never IMS',
  proposed: false,
  ignores: [...SIGNALS.map((x) => x.name), 'flags.imsOptOut', 'descriptor'],
  decide: () => fired('linux-6.10.1', 'this kernel has no PCI/IMS support (removed in 6.10)', [], 'none'),
};

export const linuxPre62: Policy = {
  name: 'linux-pre-6.2',
  summary: 'what Linux before 6.2 decides: PCI/IMS did not exist yet, so never IMS',
  proposed: false,
  ignores: linux610.ignores,
  decide: () => fired('linux-pre-6.2.1', 'this kernel has no PCI/IMS support (it was merged for 6.2)', [], 'none'),
};

/** `linux` with no kernel version known. */
export const LINUX_DEFAULT = linux610;

/** A kernel release string's major and minor number ("6.8.0-45-generic" -> [6, 8]). */
export function kernelMajorMinor(version: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Which policy `linux` stands for on this kernel, and a note saying why. */
export function linuxForKernel(kernel: { version: string; source: string } | undefined): { policy: Policy; note: string } {
  const mm = kernel ? kernelMajorMinor(kernel.version) : undefined;
  if (!kernel || !mm) {
    const why = kernel
      ? `kernel version ${JSON.stringify(kernel.version)} (${kernel.source}) is not MAJOR.MINOR`
      : 'no kernel version known (--kernel VERSION, or the machine read)';
    return { policy: LINUX_DEFAULT, note: `linux means ${LINUX_DEFAULT.name} here: ${why}; ${LINUX_DEFAULT.name} is the current kernel's behaviour` };
  }
  const [maj, min] = mm;
  // The version comes from a file of the machine read: shown as is only when it is plain printable ASCII.
  const shown = /^[\x21-\x7e]+$/.test(kernel.version) ? kernel.version : JSON.stringify(kernel.version);
  const at = (a: number, b: number) => maj > a || (maj === a && min >= b);
  const policy = at(6, 10) ? linux610 : at(6, 2) ? linux62 : linuxPre62;
  return { policy, note: `linux means ${policy.name} here: kernel ${shown} (${kernel.source})` };
}
