// What the CPU does when an exception arises while it delivers an earlier
// event (AMD APM vol.2 §8.2.9 "Double Fault (#DF)", Table 8-7): a contributory
// exception on top of a contributory one, or anything but a benign exception
// on top of #PF, becomes #DF; any exception on top of #DF shuts the CPU down
// (triple fault); otherwise the new exception is delivered. The VMM applies
// this whenever it injects an exception while an interrupted event is pending.
#pragma once
#include "tv/types.hpp"

namespace tv {

enum class Combined : u8 { DeliverSecond, DoubleFault, TripleFault };

// first_is_exception: the pending event was an exception (not an interrupt,
// NMI or software interrupt, all of which count as benign here).
Combined combine_events(bool first_is_exception, u8 first_vector, u8 second_vector);

}  // namespace tv
