/**
 * opt-in (proposals.md 3, the default): the kernel-list proposal
 * `if (!virt || virt->supports_X)`. A hypervisor states that the OS is
 * virtualized and which features it really supports; anything it does not
 * state is unsupported, and bare metal must be shown, not assumed.
 */
import { hex } from '../../acpi/hex.js';
import { bareMetalProven, descriptorOf, virtEvidenceFrom, type Evidence, type FactName } from '../evidence.js';
import { SIGNALS } from '../signals.js';
import { fired, NO_DMAR, type Outcome, type Policy } from '../policy.js';

function decide(ev: Evidence): Outcome {
  if (ev['dmar.present'].value !== true) {
    return fired('opt-in.1', `${NO_DMAR}; no IOMMU can remap IMS messages`, ['dmar.present'], 'none');
  }
  const d = descriptorOf(ev);
  if (d?.virtualized) {
    return d.features.IMS
      ? fired(
          'opt-in.2',
          'descriptor says VIRTUALIZED=1 and sets feature IMS: the hypervisor composes IMS messages through its paravirtual call',
          ['descriptor'],
          'virtualized',
        )
      : fired('opt-in.2', 'descriptor says VIRTUALIZED=1 without feature IMS: a feature not stated is not supported', ['descriptor'], 'none');
  }
  const optOut = ev['flags.imsOptOut'].value === true;
  if (d) {
    const virt = virtEvidenceFrom(ev);
    if (virt.length) {
      const said = virt.map((f) => `${f} is true`).join(', ');
      return fired('opt-in.3', `descriptor says VIRTUALIZED=0 (bare metal) but ${said}: conflicting evidence, no IMS`, ['descriptor', ...virt], 'none', {
        findings: [
          {
            severity: 'error',
            code: 'IMS-VIRT-CONFLICT',
            message: `the virtualization descriptor (proposed) at offset ${hex(d.offset)} asserts bare metal, but ${said}`,
            proposed: true,
          },
        ],
      });
    }
    return optOut
      ? fired(
          'opt-in.3',
          'descriptor says VIRTUALIZED=0 and nothing contradicts it, but IMS_OPTOUT=1 forbids native IMS',
          ['descriptor', 'virtEvidence', 'flags.imsOptOut'],
          'none',
        )
      : fired(
          'opt-in.3',
          'descriptor says VIRTUALIZED=0, nothing contradicts it and IMS_OPTOUT=0: native IMS',
          ['descriptor', 'virtEvidence', 'flags.imsOptOut'],
          'native',
        );
  }
  const uses: FactName[] = ['descriptor', 'bareMetalProven', ...SIGNALS.map((x) => x.name), 'flags.imsOptOut'];
  if (!bareMetalProven(ev)) {
    return fired(
      'opt-in.4',
      'no descriptor and bare metal is not proven (see bareMetalProven): a hypervisor that never opted in gets nothing',
      [...uses],
      'none',
    );
  }
  return optOut
    ? fired('opt-in.4', 'no descriptor; bare metal is proven (see bareMetalProven) but IMS_OPTOUT=1 forbids native IMS', [...uses], 'none')
    : fired('opt-in.4', 'no descriptor; bare metal is proven (see bareMetalProven) and IMS_OPTOUT=0: native IMS', [...uses], 'native');
}

export const optIn: Policy = {
  name: 'opt-in',
  summary: 'IMS only where it is stated to work: if (!virt || virt->supports_IMS); unknown means unsupported',
  proposed: true,
  decide,
};
