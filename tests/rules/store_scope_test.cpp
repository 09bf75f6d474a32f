// StoreScope (config stores: / partition:), StoreRefOf and StoreFilter: which messages a daemon
// that applies some stores only takes, and which it leaves to the others.
#include "rules/store_scope.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace so {
namespace {

using Kind = StoreRef::Kind;

Message Of(Payload payload) { return Message{Envelope{}, std::move(payload)}; }

// A payload with the fields `set` gives, the others at their defaults.
template <typename T, typename F>
T Make(F set) {
  T t;
  set(t);
  return t;
}

TEST(StoreScopeTest, WithoutStoresOrPartitionEveryStoreIsOwned) {
  const StoreScope all;
  EXPECT_TRUE(all.all());
  for (Id s : {1, 2, 3, 1000}) EXPECT_TRUE(all.Owns(s)) << s;
  EXPECT_EQ(all.ToString(), "every store");
}

TEST(StoreScopeTest, ListedStoresAreOwnedAndNoOthers) {
  const StoreScope scope = StoreScope::Of({7, 2});
  EXPECT_FALSE(scope.all());
  EXPECT_TRUE(scope.Owns(2));
  EXPECT_TRUE(scope.Owns(7));
  EXPECT_FALSE(scope.Owns(1));
  EXPECT_FALSE(scope.Owns(3));
  EXPECT_EQ(scope.ToString(), "stores 2, 7");
  EXPECT_EQ(StoreScope::Of({4}).ToString(), "store 4");
}

TEST(StoreScopeTest, PartitionsOfACountOwnEachStoreExactlyOnce) {
  constexpr int kCount = 3;
  for (Id store = -4; store <= 30; ++store) {
    int owners = 0;
    for (int i = 0; i < kCount; ++i) owners += StoreScope::Partition(i, kCount).Owns(store) ? 1 : 0;
    EXPECT_EQ(owners, 1) << "store " << store;
  }
  const StoreScope second = StoreScope::Partition(1, kCount);
  EXPECT_TRUE(second.Owns(1));
  EXPECT_TRUE(second.Owns(4));
  EXPECT_FALSE(second.Owns(3));
  EXPECT_EQ(second.ToString(), "partition 1 of 3 (stores whose id % 3 is 1)");
}

TEST(StoreScopeTest, EachMessageNamesItsStoreOrTheRowThatKeepsIt) {
  const auto ref = [](Payload p) { return StoreRefOf(p); };
  EXPECT_EQ(ref(Make<SpecialOrderRequested>([](auto& m) {
              m.order_id = 5;
              m.store_id = 2;
            })),
            (StoreRef{Kind::kStore, 2}));
  EXPECT_EQ(ref(Make<ShipmentCompleted>([](auto& m) {
              m.shipment_id = 9;
              m.po_id = 8;
              m.store_id = 3;
            })),
            (StoreRef{Kind::kStore, 3}));
  EXPECT_EQ(ref(Make<TransferReceived>([](auto& m) {
              m.transfer_id = 4;
              m.from_store_id = 1;
              m.to_store_id = 2;
            })),
            (StoreRef{Kind::kStore, 2}));
  EXPECT_EQ(ref(Make<OrderLineChanged>([](auto& m) { m.order_id = 5; })),
            (StoreRef{Kind::kOrder, 5}));
  EXPECT_EQ(ref(Make<OrderCancelled>([](auto& m) { m.order_id = 6; })),
            (StoreRef{Kind::kOrder, 6}));
  EXPECT_EQ(ref(Make<OrderPickedUp>([](auto& m) { m.order_id = 7; })), (StoreRef{Kind::kOrder, 7}));
  EXPECT_EQ(ref(Make<BackofficeOrder>([](auto& m) { m.special_order_id = 11; })),
            (StoreRef{Kind::kSpecialOrder, 11}));
  EXPECT_EQ(ref(Make<BackofficeTransfer>([](auto& m) { m.special_order_id = 12; })),
            (StoreRef{Kind::kSpecialOrder, 12}));
  EXPECT_EQ(ref(Make<BackofficeCancel>([](auto& m) { m.special_order_id = 13; })),
            (StoreRef{Kind::kSpecialOrder, 13}));
  EXPECT_EQ(ref(Make<BackofficeAllocate>([](auto& m) { m.shipment_id = 14; })),
            (StoreRef{Kind::kShipment, 14}));
  EXPECT_EQ(ref(Make<BackofficeAllocate>([](auto& m) { m.transfer_id = 15; })),
            (StoreRef{Kind::kTransfer, 15}));
  EXPECT_EQ(ref(BackofficeAllocate{}), std::nullopt);
  EXPECT_EQ(ref(Make<PoStatusChanged>([](auto& m) { m.po_id = 16; })), (StoreRef{Kind::kPo, 16}));
}

// A lookup over a fixed table of rows, recording what it was asked.
struct FakeLookup {
  std::map<StoreRef, Id> rows;
  std::vector<std::vector<StoreRef>> asked;
  bool fail = false;

  StoreFilter::Lookup Fn() {
    return [this](const std::vector<StoreRef>& refs) -> Result<std::map<StoreRef, Id>> {
      asked.push_back(refs);
      if (fail) return Error{ErrorKind::kConnection, 2013, "lost"};
      std::map<StoreRef, Id> out;
      for (const StoreRef& r : refs) {
        if (auto it = rows.find(r); it != rows.end()) out.insert(*it);
      }
      return out;
    };
  }
};

TEST(StoreFilterTest, WithoutAScopeEverythingIsAppliedAndNothingLookedUp) {
  FakeLookup lookup;
  StoreFilter filter(StoreScope{}, lookup.Fn());
  const Message cancel = Of(Make<OrderCancelled>([](auto& m) { m.order_id = 5; }));
  ASSERT_TRUE(filter.Resolve({&cancel}).ok());
  EXPECT_TRUE(filter.Applies(cancel));
  EXPECT_TRUE(lookup.asked.empty());
}

TEST(StoreFilterTest, MessagesOfOtherStoresAreLeftAndTheirRowsLookedUpOnce) {
  FakeLookup lookup;
  lookup.rows = {{{Kind::kOrder, 5}, 1}, {{Kind::kOrder, 6}, 2}, {{Kind::kPo, 8}, 2}};
  StoreFilter filter(StoreScope::Of({2}), lookup.Fn());
  const Message mine_request = Of(Make<SpecialOrderRequested>([](auto& m) {
    m.order_id = 6;
    m.store_id = 2;
  }));
  const Message other_request = Of(Make<SpecialOrderRequested>([](auto& m) {
    m.order_id = 5;
    m.store_id = 1;
  }));
  const Message other_cancel = Of(Make<OrderCancelled>([](auto& m) { m.order_id = 5; }));
  const Message mine_cancel = Of(Make<OrderCancelled>([](auto& m) { m.order_id = 6; }));
  const Message mine_po = Of(Make<PoStatusChanged>([](auto& m) { m.po_id = 8; }));
  ASSERT_TRUE(
      filter.Resolve({&mine_request, &other_request, &other_cancel, &mine_cancel, &mine_po}).ok());
  // The requests name their store: only the rows were asked for, in one call.
  ASSERT_EQ(lookup.asked.size(), 1u);
  EXPECT_THAT(lookup.asked[0],
              ::testing::UnorderedElementsAre(StoreRef{Kind::kOrder, 5}, StoreRef{Kind::kOrder, 6},
                                              StoreRef{Kind::kPo, 8}));
  EXPECT_TRUE(filter.Applies(mine_request));
  EXPECT_FALSE(filter.Applies(other_request));
  EXPECT_FALSE(filter.Applies(other_cancel));
  EXPECT_TRUE(filter.Applies(mine_cancel));
  EXPECT_TRUE(filter.Applies(mine_po));
  // Known now: not asked again.
  ASSERT_TRUE(filter.Resolve({&other_cancel, &mine_cancel}).ok());
  EXPECT_EQ(lookup.asked.size(), 1u);
}

TEST(StoreFilterTest, AMessageWhoseStoreCannotBeToldIsAppliedByEveryDaemon) {
  FakeLookup lookup;  // the order is not in the database
  const Message cancel = Of(Make<OrderCancelled>([](auto& m) { m.order_id = 404; }));
  const Message allocate = Of(BackofficeAllocate{});
  for (int index : {0, 1}) {
    StoreFilter filter(StoreScope::Partition(index, 2), lookup.Fn());
    ASSERT_TRUE(filter.Resolve({&cancel, &allocate}).ok());
    EXPECT_TRUE(filter.Applies(cancel)) << index;
    EXPECT_TRUE(filter.Applies(allocate)) << index;
  }
  // Not kept: the next batch asks again, the row may be there by then.
  StoreFilter filter(StoreScope::Partition(0, 2), lookup.Fn());
  ASSERT_TRUE(filter.Resolve({&cancel}).ok());
  lookup.rows[{Kind::kOrder, 404}] = 3;
  ASSERT_TRUE(filter.Resolve({&cancel}).ok());
  EXPECT_FALSE(filter.Applies(cancel));
}

TEST(StoreFilterTest, AFailedLookupIsReturnedAndKnowsNothingMore) {
  FakeLookup lookup;
  lookup.rows = {{{Kind::kOrder, 5}, 1}};
  lookup.fail = true;
  StoreFilter filter(StoreScope::Of({2}), lookup.Fn());
  const Message cancel = Of(Make<OrderCancelled>([](auto& m) { m.order_id = 5; }));
  const Status s = filter.Resolve({&cancel});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConnection);
  lookup.fail = false;
  ASSERT_TRUE(filter.Resolve({&cancel}).ok());
  EXPECT_EQ(lookup.asked.size(), 2u);
  EXPECT_FALSE(filter.Applies(cancel));
}

}  // namespace
}  // namespace so
