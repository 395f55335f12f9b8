// Call sites (DW_TAG_call_site / DW_TAG_GNU_call_site): how a caller passed a parameter, used to
// recover a callee's DW_OP_entry_value(DW_OP_regN) from the caller's frame.
import { readOperation } from '../shared/dwarf-operations';
import { DW_AT, DW_OP, DW_TAG } from './constants';
import { dwarfReader } from './reader';
import type { Die } from './die';
import type { Unit } from './unit';

const DW_AT_GNU_call_site_value = 0x2111;

/** N for an expression that is exactly DW_OP_regN or DW_OP_regx N. */
export function plainRegister(expression: Uint8Array): number | undefined {
  try {
    const reader = dwarfReader(expression, 'DWARF expression');
    const { op, a } = readOperation(reader, { addressSize: 8 });
    const register = (op >= DW_OP.reg0 && op <= DW_OP.reg31) || op === DW_OP.regx;
    return register && reader.atEnd() ? Number(a) : undefined;
  } catch {
    return undefined; // not a well-formed operation
  }
}

/** The call site under `die` (a caller's subprogram) whose return address is `returnAddress`. */
export function findCallSite(unit: Unit, die: Die, returnAddress: bigint): Die | undefined {
  for (const child of die.children) {
    if (child.tag === DW_TAG.call_site || child.tag === DW_TAG.GNU_call_site) {
      const pc = unit.address(child.attr(DW_AT.call_return_pc)) ?? unit.address(child.attr(DW_AT.low_pc));
      if (pc === returnAddress) return child;
    }
    const nested = findCallSite(unit, child, returnAddress);
    if (nested) return nested;
  }
  return undefined;
}

/** The DIE the call site calls (DW_AT_call_origin, or DW_AT_abstract_origin for GNU call sites). */
export function callSiteCallee(unit: Unit, site: Die): Die | undefined {
  return unit.reference(site.attr(DW_AT.call_origin) ?? site.attr(DW_AT.abstract_origin));
}

/** The expression (in the caller's frame) for the value the call passed in register `regno`. */
export function callSiteValue(site: Die, regno: number): Uint8Array | undefined {
  for (const param of site.children) {
    if (param.tag !== DW_TAG.call_site_parameter && param.tag !== DW_TAG.GNU_call_site_parameter) continue;
    const location = param.attr(DW_AT.location)?.bytes;
    if (!location || plainRegister(location) !== regno) continue;
    return (param.attr(DW_AT.call_value) ?? param.attr(DW_AT_GNU_call_site_value))?.bytes;
  }
  return undefined;
}
