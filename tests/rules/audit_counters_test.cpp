// Reading the counters a decision moved back from its audit row, as the engine words them.
#include "rules/audit_counters.hpp"

#include <gtest/gtest.h>

namespace so {
namespace {

TEST(AuditCountersTest, ReadsTheEnginesWordings) {
  EXPECT_EQ(ParseCountersMoved("special order for 2 x CHAIR-OAK on line 50011; backordered +2"),
            (CountersMoved{0, 2, true}));
  EXPECT_EQ(
      ParseCountersMoved("2 from shipment 9001; allocated 2 of 2; committed +2, backordered -2"),
      (CountersMoved{2, -2, true}));
  EXPECT_EQ(ParseCountersMoved("-1 to 2; backordered -1, committed -0"),
            (CountersMoved{0, -1, true}));
  EXPECT_EQ(ParseCountersMoved("3 handed over; picked up 3 of 3; committed -2, 1 from open stock "
                               "(backordered -1)"),
            (CountersMoved{-2, -1, true}));
}

TEST(AuditCountersTest, NothingNamedInOtherDecisions) {
  EXPECT_FALSE(ParseCountersMoved("vendor 10 (Acme Furniture, primary vendor); created draft PO "
                                  "1, new line 1 for 2")
                   .named);
  EXPECT_FALSE(ParseCountersMoved("shipment 9001 is open in the database, not completed").named);
  EXPECT_FALSE(ParseCountersMoved("overcommitted +3; committed 4").named);
  EXPECT_FALSE(ParseCountersMoved("").named);
}

}  // namespace
}  // namespace so
