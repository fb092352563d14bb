/**
 * opt-out (proposals.md 3): the DMAR flag IMS_OPTOUT as proposed on the list,
 * modelled on X2APIC_OPT_OUT. Its weakness is by design visible here: a
 * hypervisor written before the bit existed leaves it 0, and the OS goes native.
 */
import { descriptorOf, type Evidence } from '../evidence.js';
import { SIGNALS } from '../signals.js';
import { fired, NO_DMAR, type Outcome, type Policy } from '../policy.js';

function decide(ev: Evidence): Outcome {
  if (ev['dmar.present'].value !== true) {
    return fired('opt-out.1', `${NO_DMAR}; no IOMMU can remap IMS messages`, ['dmar.present'], 'none');
  }
  if (ev['flags.imsOptOut'].value === true) {
    const d = descriptorOf(ev);
    if (d?.virtualized && d.features.IMS) {
      return fired(
        'opt-out.2',
        'IMS_OPTOUT=1, and a descriptor says VIRTUALIZED=1 with feature IMS: virtualized IMS',
        ['flags.imsOptOut', 'descriptor'],
        'virtualized',
      );
    }
    const why = !d ? 'no descriptor' : !d.virtualized ? 'the descriptor says VIRTUALIZED=0' : 'the descriptor does not set feature IMS';
    return fired('opt-out.2', `IMS_OPTOUT=1 and ${why}: no IMS`, ['flags.imsOptOut', 'descriptor'], 'none');
  }
  return fired('opt-out.3', 'IMS_OPTOUT=0: the platform did not opt out, native IMS', ['flags.imsOptOut'], 'native');
}

export const optOut: Policy = {
  name: 'opt-out',
  summary: 'native IMS unless the DMAR flag IMS_OPTOUT says no',
  proposed: true,
  ignores: SIGNALS.map((x) => x.name),
  decide,
};
